// Pipeline YAML (daemon/pipeline/pipeline_parser.h): any bytes either parse
// into a pipeline or give errors; nothing throws, aborts or leaks. The
// duration parser gets the same bytes.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/pipeline_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  mlops::pipeline::ParseOptions options;
  options.file_name = "fuzz.yaml";
  mlops::pipeline::Pipeline pipeline;
  std::vector<mlops::pipeline::PipelineError> errors;
  const bool ok = mlops::pipeline::ParsePipeline(text, options, &pipeline, &errors);
  if (ok != errors.empty()) __builtin_trap();  // the contract: errors exactly when refused
  for (const auto& e : errors) (void)e.ToString();
  std::chrono::milliseconds duration{};
  std::string why;
  (void)mlops::pipeline::ParseDuration(text, &duration, &why);
  return 0;
}
