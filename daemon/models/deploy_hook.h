// The optional deploy hook (config deploy_hook): an argv run after a
// promotion to production, with posix_spawn and no shell, its environment
// this process's plus MLOPS_MODEL, MLOPS_MODEL_VERSION, MLOPS_MODEL_PATH and
// MLOPS_MODEL_SHA256; stdout and stderr appended to a log file; killed once
// its time is up. Its result is audited by the caller; it never undoes the
// promotion.
// Thread-safety: free function.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "mlops/common/status.h"

namespace mlops::models {

struct DeployResult {
  bool ran = false;
  int exit_code = -1;
  int signal = 0;
  bool timed_out = false;
  std::string error;  // could not start
  bool ok() const { return ran && exit_code == 0 && !timed_out; }
  std::string Describe() const;
};

// argv[0] must be an absolute path. Never fails: how it went is in the result.
DeployResult RunDeployHook(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env,
                           const std::string& log_path, std::chrono::milliseconds timeout);

}  // namespace mlops::models
