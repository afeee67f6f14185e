// The exec plugin's parameters, read from the stage's params JSON:
//   run      string  command line, split by SplitCommandLine (no shell), or
//   argv     [string] the argv itself (exactly one of run / argv)
//   shell    bool    only then: /bin/sh -c <run>
//   env      {string: string|number|bool} added to the environment
//   outputs  [string] files the command must produce, relative to work_dir
//   kill_grace_ms number  SIGTERM -> SIGKILL delay on cancel (default 5000)
// Other keys (the rest of the stage's `with`) are ignored.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace mlops::exec {

struct ExecParams {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::vector<std::string> outputs;
  // A JSON file the command writes, relative to the work dir: an object
  // whose numeric members become the stage's metrics (step 0).
  std::string metrics_file;
  std::chrono::milliseconds kill_grace{5000};
};

// On failure returns false with *error naming the bad key.
bool ParseExecParams(const std::string& json_text, ExecParams* out, std::string* error);

}  // namespace mlops::exec
