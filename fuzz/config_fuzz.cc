// The daemon's config file (daemon/server/config.h): any bytes either load
// or give an InvalidArgument error; nothing throws, aborts or leaks.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scratch_file.h"
#include "server/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static mlops::fuzz::ScratchFile file("mlopsd.yaml");
  file.Write(std::string_view(reinterpret_cast<const char*>(data), size));
  mlops::server::DaemonConfig config;
  const mlops::Status status = mlops::server::LoadConfigFile(file.path(), &config);
  if (!status.ok() && status.message().empty()) __builtin_trap();  // a refusal says why
  return 0;
}
