// The objective a search evaluates, and the TrialContext through which a
// running trial reports intermediate values (e.g. a validation score per
// epoch) and learns whether to stop: pruned by the pruner, or cancelled.
// A TrialContext belongs to one trial and is used by the thread running it;
// Cancelled() may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "data/rng.h"
#include "search/space.h"
#include "search/trial.h"

namespace mlops::ml {

class Pruner;

struct TrialOutcome {
  // The objective's value. NaN: the best value the trial reported (what a
  // pruned trial usually returns).
  double value = std::numeric_limits<double>::quiet_NaN();
  std::string error;  // non-empty: the trial failed

  static TrialOutcome Value(double v) { return TrialOutcome{v, {}}; }
  static TrialOutcome Failed(std::string why) {
    return TrialOutcome{std::numeric_limits<double>::quiet_NaN(), std::move(why)};
  }
};

class TrialContext {
 public:
  // `earlier` (trials of earlier batches) and `pruner` (may be null) must
  // outlive the context; `cancelled` may be empty.
  TrialContext(int number, uint64_t stream_seed, Direction direction, const Pruner* pruner,
               const std::vector<Trial>* earlier, std::function<bool()> cancelled);

  int number() const { return number_; }
  // The trial's own random stream (search.h says how it is derived).
  Rng& rng() { return rng_; }

  // Records `value` at `step` (steps must increase; a repeated or smaller
  // step is ignored) and returns true when the objective should stop now.
  // A non-finite value prunes the trial when there is a pruner.
  bool Report(int64_t step, double value);
  // Pruned, or the search is cancelled.
  bool ShouldStop() const { return pruned_ || Cancelled(); }
  bool pruned() const { return pruned_; }
  bool Cancelled() const { return cancelled_ && cancelled_(); }

  const std::vector<Intermediate>& intermediate() const { return intermediate_; }
  // The best finite reported value, NaN when none.
  double BestReported() const;

 private:
  int number_;
  Rng rng_;
  Direction direction_;
  const Pruner* pruner_;
  const std::vector<Trial>* earlier_;
  std::function<bool()> cancelled_;
  std::vector<Intermediate> intermediate_;
  bool pruned_ = false;
};

// Evaluates one point. Called concurrently for the trials of a batch: it
// must be safe to call from several threads at once. Exceptions it throws
// fail the trial.
using Objective = std::function<TrialOutcome(const ParamValues& params, TrialContext& context)>;

}  // namespace mlops::ml
