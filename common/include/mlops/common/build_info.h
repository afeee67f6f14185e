// What this binary is: its version and how it was built. `--version` of
// mlopsd, mlctl and mlops-stage prints it. Thread-safe (constant data).
#pragma once

#include <string>

namespace mlops {

struct BuildInfo {
  const char* version;     // the project's version, e.g. "0.1.0"
  const char* commit;      // the source commit, "-dirty" when it had changes; "unknown" outside git
  const char* build_type;  // CMake's build type, e.g. "RelWithDebInfo"
  const char* torch;       // the libtorch the ML plugins were built with, and whether it has CUDA
};

const BuildInfo& CurrentBuild();

// "PROGRAM 0.1.0 (commit abc123, RelWithDebInfo, libtorch 1.13.1 (CPU only))".
std::string VersionText(const std::string& program);

}  // namespace mlops
