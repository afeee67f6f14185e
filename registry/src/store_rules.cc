#include "store_rules.h"

#include <chrono>
#include <string>

#include "mlops/common/sha256.h"

namespace mlops::registry::internal {

Status CheckAttemptResult(const AttemptResult& r) {
  if (r.attempt.id <= 0) return Status::InvalidArgument("FinishAttempt: attempt id is not set");
  for (const ArtifactRecord& a : r.artifacts) {
    if (!IsSha256Hex(a.sha256)) {
      return Status::InvalidArgument("attempt " + std::to_string(r.attempt.id) +
                                     ": artifact digest '" + a.sha256 +
                                     "' is not 64 lower-case hex characters");
    }
  }
  for (const ArtifactEdge& e : r.edges) {
    if (EdgeAttemptId(r, e) != r.attempt.id) {
      return Status::InvalidArgument("attempt " + std::to_string(r.attempt.id) + ": edge '" +
                                     e.name + "' belongs to attempt " +
                                     std::to_string(e.attempt_id));
    }
  }
  return Status::OK();
}

Status CheckNewAttemptResult(const AttemptResult& r) {
  if (r.attempt.id != 0) {
    return Status::InvalidArgument("RecordFinishedAttempts: attempt " +
                                   std::to_string(r.attempt.id) + " is already recorded");
  }
  for (const ArtifactEdge& e : r.edges) {
    if (e.attempt_id != 0) {
      return Status::InvalidArgument("RecordFinishedAttempts: edge '" + e.name +
                                     "' belongs to attempt " + std::to_string(e.attempt_id));
    }
  }
  AttemptResult numbered;
  numbered.attempt.id = 1;  // the rest of the checks, as for a recorded attempt
  numbered.artifacts = r.artifacts;
  return CheckAttemptResult(numbered);
}

int64_t ArtifactCreatedMs(const AttemptResult& r, const ArtifactRecord& a) {
  if (a.created_ms != 0) return a.created_ms;
  if (r.attempt.finished_ms != 0) return r.attempt.finished_ms;
  return WallMillisNow();
}

int64_t WallMillisNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace mlops::registry::internal
