// Runs one command as a child of the stage host and waits for it, ending it
// when the stage is asked to stop. posix_spawn, no shell; the child keeps the
// host's process group, so the daemon's group signals reach it too.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace mlops::exec {

struct CommandResult {
  std::string error;        // non-empty when it could not be started or waited for
  bool stopped = false;     // should_stop() turned true and the child was ended
  int exit_code = -1;       // the exit status when it exited
  int signal = 0;           // the signal that ended it, 0 when it exited
};

// Starts argv[0] (looked up in the PATH of `env` when it has no '/') with
// exactly `env` ("K=V" entries), stdin from /dev/null, stdout and stderr
// inherited, no other descriptor, and default signal dispositions. Waits on a pidfd, calling
// should_stop() about every 50 ms; once it returns true the child gets
// SIGTERM and, `grace` later, SIGKILL.
// REQUIRES: !argv.empty().
CommandResult RunCommand(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                         const std::function<bool()>& should_stop,
                         std::chrono::milliseconds grace);

// "SIGSEGV" for 11; "signal N" for a number without a name.
std::string SignalName(int signal);

}  // namespace mlops::exec
