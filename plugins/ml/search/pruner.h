// Pruners stop unpromising trials early from their intermediate values.
// A decision uses only the trial's own values and those of trials of
// earlier batches, never of trials running beside it, so a search stays
// deterministic for a seed however its batch runs. Stateless; safe to call
// from several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "mlops/common/status.h"
#include "search/trial.h"

namespace mlops::ml {

enum class PrunerKind { kNone, kAsha, kMedian };

struct PrunerOptions {
  PrunerKind kind = PrunerKind::kNone;
  // asha: rungs at steps min_resource * reduction_factor^k; a trial reaching
  // a rung continues only in the top 1/reduction_factor of the values seen
  // there. 0: chosen by the caller (AutoMinResource), else 1.
  int64_t min_resource = 0;
  int reduction_factor = 3;
  // median: stop when the trial's best so far is worse than the median of
  // earlier trials' values at the same step, once `startup_trials` earlier
  // trials reported that step and from step `warmup_steps` on.
  int startup_trials = 5;
  int64_t warmup_steps = 0;
};

// Reads "none" | "asha" | "median", or {"type": ..., and the options above}.
Status ParsePrunerOptions(const nlohmann::json& j, PrunerOptions* out);
nlohmann::json ToJson(const PrunerOptions& options);

class Pruner {
 public:
  virtual ~Pruner() = default;
  // Whether the trial that just reported own.back() should stop, judged
  // against `earlier`. REQUIRES: own is non-empty, steps increasing.
  virtual bool ShouldPrune(const std::vector<Trial>& earlier, const std::vector<Intermediate>& own) const = 0;
};

// A first rung that leaves about three rungs below `max_steps`:
// max(1, max_steps / reduction_factor^3).
int64_t AutoMinResource(int64_t max_steps, int reduction_factor);

// Null for kNone.
std::unique_ptr<Pruner> MakePruner(const PrunerOptions& options, Direction direction);

}  // namespace mlops::ml
