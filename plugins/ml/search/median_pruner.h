// MedianPruner: stops a trial whose best value so far is worse than the
// median of the values earlier trials reported at the same step, once at
// least `startup_trials` of them reported that step and from step
// `warmup_steps` on.
#pragma once

#include "search/pruner.h"

namespace mlops::ml {

class MedianPruner : public Pruner {
 public:
  MedianPruner(int startup_trials, int64_t warmup_steps, Direction direction)
      : startup_trials_(startup_trials), warmup_steps_(warmup_steps), direction_(direction) {}

  bool ShouldPrune(const std::vector<Trial>& earlier, const std::vector<Intermediate>& own) const override;

 private:
  int startup_trials_;
  int64_t warmup_steps_;
  Direction direction_;
};

}  // namespace mlops::ml
