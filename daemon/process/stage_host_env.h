// The environment every stage host starts with (describe runs, fork
// servers, hosts of their own): this process's environment plus overrides
// set while the daemon runs (e.g. the plugin keys revoked since start).
// setenv() is not safe once threads run; this is.
// Thread-safety: all functions may be called from any thread.
#pragma once

#include <string>
#include <vector>

namespace mlops {

// Sets (or, with an empty value, removes) `name` for stage hosts started
// from now on.
void SetStageHostEnv(const std::string& name, const std::string& value);

// A snapshot for one posix_spawn: envp() stays valid while it lives.
class StageHostEnvironment {
 public:
  StageHostEnvironment();
  char* const* envp() const { return pointers_.data(); }

 private:
  std::vector<std::string> entries_;
  std::vector<char*> pointers_;
};

}  // namespace mlops
