// mlctl's exit codes: scripts and CI branch on them.
#pragma once

namespace mlops::ctl {

enum ExitCode : int {
  kExitOk = 0,
  kExitRunFailed = 1,     // the run (or the validated file) failed
  kExitUsage = 2,         // bad command line or invalid input file
  kExitCancelled = 3,     // the run was cancelled or interrupted
  kExitUnreachable = 4,   // the daemon could not be reached
  kExitApiError = 5,      // the daemon answered with an error
  kExitGatesFailed = 6,   // reserved: the evaluator's gates failed
};

}  // namespace mlops::ctl
