#include "search/objective.h"

#include <cmath>

#include "search/pruner.h"

namespace mlops::ml {

TrialContext::TrialContext(int number, uint64_t stream_seed, Direction direction, const Pruner* pruner,
                           const std::vector<Trial>* earlier, std::function<bool()> cancelled)
    : number_(number),
      rng_(stream_seed),
      direction_(direction),
      pruner_(pruner),
      earlier_(earlier),
      cancelled_(std::move(cancelled)) {}

bool TrialContext::Report(int64_t step, double value) {
  if (pruned_) return true;
  if (!intermediate_.empty() && step <= intermediate_.back().step) return ShouldStop();
  intermediate_.push_back({step, value});
  if (pruner_ != nullptr && pruner_->ShouldPrune(*earlier_, intermediate_)) pruned_ = true;
  return ShouldStop();
}

double TrialContext::BestReported() const {
  double best = std::nan("");
  for (const auto& i : intermediate_) {
    if (std::isfinite(i.value) && IsBetter(direction_, i.value, best)) best = i.value;
  }
  return best;
}

}  // namespace mlops::ml
