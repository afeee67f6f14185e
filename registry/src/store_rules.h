// Rules that every Store implementation applies the same way, kept in one
// place so that the SQLite and in-memory stores cannot drift apart.
// Internal to the registry library.
#pragma once

#include <cstdint>

#include "mlops/common/status.h"
#include "mlops/registry/records.h"

namespace mlops::registry::internal {

// Checks what FinishAttempt can check without the store: attempt id set,
// digests well-formed, edges belonging to the attempt. Edges naming an
// artifact that is neither in `r.artifacts` nor stored are the store's check.
Status CheckAttemptResult(const AttemptResult& r);
// The same for an attempt RecordFinishedAttempts is to insert: its id and
// its edges' attempt ids are still 0.
Status CheckNewAttemptResult(const AttemptResult& r);

// The attempt an edge of `r` belongs to (its own id, or the attempt's).
inline int64_t EdgeAttemptId(const AttemptResult& r, const ArtifactEdge& e) {
  return e.attempt_id != 0 ? e.attempt_id : r.attempt.id;
}

// created_ms recorded for a new artifact: its own, else when the attempt
// finished, else now.
int64_t ArtifactCreatedMs(const AttemptResult& r, const ArtifactRecord& a);

// Wall-clock milliseconds since the Unix epoch, for records the caller left
// undated.
int64_t WallMillisNow();

}  // namespace mlops::registry::internal
