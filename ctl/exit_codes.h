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
  kExitDenied = 7,        // the daemon refused the token (HTTP 401) or its role (403)
  kExitVerifyFailed = 8,  // `mlctl verify`: bad signature or the files do not match it
};

}  // namespace mlops::ctl
