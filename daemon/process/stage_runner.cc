#include "process/stage_runner.h"

namespace mlops {

const char* ToString(AttemptOutcome::Kind kind) {
  switch (kind) {
    case AttemptOutcome::Kind::kSucceeded: return "succeeded";
    case AttemptOutcome::Kind::kFailed: return "failed";
    case AttemptOutcome::Kind::kTimedOut: return "timed_out";
    case AttemptOutcome::Kind::kCancelled: return "cancelled";
    case AttemptOutcome::Kind::kStartFailed: return "start_failed";
  }
  return "unknown";
}

}  // namespace mlops
