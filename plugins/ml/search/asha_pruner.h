// AshaPruner: asynchronous successive halving over steps (epochs). Rung k
// sits at step min_resource * reduction_factor^k; a trial's value at a rung
// is the one it reported at the first step at or after it. A trial that
// reaches a rung continues only if its value is among the best
// floor(n / reduction_factor) of the n values recorded there (its own and
// those of earlier trials); while n < reduction_factor, only the best one
// continues.
#pragma once

#include "search/pruner.h"

namespace mlops::ml {

class AshaPruner : public Pruner {
 public:
  // REQUIRES: min_resource >= 1, reduction_factor >= 2.
  AshaPruner(int64_t min_resource, int reduction_factor, Direction direction)
      : min_resource_(min_resource), eta_(reduction_factor), direction_(direction) {}

  bool ShouldPrune(const std::vector<Trial>& earlier, const std::vector<Intermediate>& own) const override;

 private:
  int64_t min_resource_;
  int eta_;
  Direction direction_;
};

}  // namespace mlops::ml
