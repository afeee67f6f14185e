// RetentionGuard: what the collector asks before it removes anything, so
// that nothing an active run or a registered model version needs goes. The
// daemon answers from the registry (server/registry_guard.h); tests use a
// fake. Thread-safety: implementations must be safe from the retention
// thread and the API threads at once.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <unordered_set>

#include "mlops/common/status.h"

namespace mlops::retention {

class RetentionGuard {
 public:
  virtual ~RetentionGuard() = default;
  // True when the run can never be active again (succeeded, failed,
  // cancelled, or interrupted and settled), or is not in the registry.
  // False when it is queued or running, or when the registry cannot say.
  virtual bool RunEnded(int64_t run_id) = 0;
  // True when the run registered a model version (its provenance is kept).
  virtual bool RunHasModelVersion(int64_t run_id) = 0;
  // Commits that queued or running runs use ("" entries are ignored).
  virtual Status CommitsInUse(std::set<std::string>* out) = 0;

  // Artifacts: every digest a run (its attempts' inputs and outputs) or a
  // model version (artifact and signature envelope) references.
  virtual Status ReferencedArtifacts(std::unordered_set<std::string>* out) = 0;
  // True when `sha256` is referenced now (checked again just before a
  // removal, for what was recorded after ReferencedArtifacts answered).
  virtual bool ArtifactReferenced(const std::string& sha256) = 0;
  // Wall time (ms) from which on a stored file may belong to an active run
  // not yet recorded: the queue time of the oldest active run, or now.
  virtual int64_t ActiveSinceMs() = 0;
};

}  // namespace mlops::retention
