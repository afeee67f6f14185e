// The CSV loader (plugins/ml/data/csv_loader.h) and the data spec parser
// (data_spec.h). The input's first line is the `data` spec as JSON (an
// empty or unparsable line means the defaults); the rest is the file. The
// harness points `path` (and `label_path`, when given) at that file, so
// nothing outside the scratch folder is read. Each input either loads a
// data set of consistent shape or is refused with the reason; nothing
// throws, aborts or leaks.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "data/csv_loader.h"
#include "data/data_spec.h"
#include "scratch_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static mlops::fuzz::ScratchFile file("data.csv");
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const size_t newline = bytes.find('\n');
  const std::string_view spec_line = bytes.substr(0, newline);
  const std::string_view content = newline == std::string_view::npos ? "" : bytes.substr(newline + 1);
  nlohmann::json spec_json = nlohmann::json::parse(spec_line, nullptr, false);
  if (spec_json.is_discarded() || !spec_json.is_object()) spec_json = nlohmann::json::object();
  spec_json["path"] = "data.csv";
  if (spec_json.contains("label_path")) spec_json["label_path"] = "data.csv";
  file.Write(content);

  mlops::ml::DataSpec spec;
  const mlops::Status parsed = mlops::ml::ParseDataSpec(spec_json, file.dir(), &spec);
  if (!parsed.ok()) {
    if (parsed.message().empty()) __builtin_trap();
    return 0;
  }
  mlops::ml::Dataset dataset;
  const mlops::Status loaded = mlops::ml::LoadDataset(spec, &dataset);
  if (!loaded.ok()) {
    if (loaded.message().empty()) __builtin_trap();
    return 0;
  }
  if (dataset.features.size() != dataset.rows * dataset.cols || dataset.labels.size() != dataset.rows ||
      dataset.feature_names.size() != dataset.cols) {
    __builtin_trap();
  }
  return 0;
}
