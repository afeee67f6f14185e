#include "search/median_pruner.h"

#include <algorithm>
#include <cmath>

namespace mlops::ml {

bool MedianPruner::ShouldPrune(const std::vector<Trial>& earlier, const std::vector<Intermediate>& own) const {
  const Intermediate& now = own.back();
  if (!std::isfinite(now.value)) return true;
  if (now.step < warmup_steps_) return false;
  std::vector<double> others;
  for (const Trial& t : earlier) {
    double v = 0;
    if ((t.status == TrialStatus::kCompleted || t.status == TrialStatus::kPruned) && t.ValueAt(now.step, &v) &&
        std::isfinite(v)) {
      others.push_back(v);
    }
  }
  if (others.empty() || static_cast<int>(others.size()) < startup_trials_) return false;
  std::sort(others.begin(), others.end());
  const size_t n = others.size();
  const double median = n % 2 == 1 ? others[n / 2] : (others[n / 2 - 1] + others[n / 2]) / 2;
  double best = now.value;
  for (const auto& v : own) {
    if (IsBetter(direction_, v.value, best)) best = v.value;
  }
  return IsBetter(direction_, median, best);
}

}  // namespace mlops::ml
