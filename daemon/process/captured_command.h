// Runs a short helper command (no shell) and collects its output: used by
// the PluginCatalog to ask the stage host to describe a plugin, so that the
// daemon never maps plugin code itself.
// Thread-safety: free function, safe from any thread.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "mlops/common/status.h"

namespace mlops {

struct CapturedRun {
  int exit_code = -1;  // when it exited
  int signal = 0;      // when a signal ended it
  bool timed_out = false;
  std::string out;  // stdout, at most kMaxCapturedBytes
  std::string err;  // stderr, at most kMaxCapturedBytes
};

inline constexpr size_t kMaxCapturedBytes = 1 << 16;

// Starts argv[0] (an absolute path) with stdin /dev/null in this process's
// session, collects stdout and stderr until it exits, SIGKILLs it once
// `timeout` has passed, and reaps it. A Status error only when it could not
// be started; how it ended is in *out. `envp`: its environment (null: this
// process's).
Status RunCaptured(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                   CapturedRun* out, char* const* envp = nullptr);

}  // namespace mlops
