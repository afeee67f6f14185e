#include "search/asha_pruner.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mlops::ml {
namespace {

// The value reported at the first step >= rung, if any.
bool RungValue(const std::vector<Intermediate>& values, int64_t rung, double* out) {
  for (const auto& v : values) {
    if (v.step >= rung) {
      *out = v.value;
      return std::isfinite(v.value);
    }
  }
  return false;
}

}  // namespace

bool AshaPruner::ShouldPrune(const std::vector<Trial>& earlier, const std::vector<Intermediate>& own) const {
  const Intermediate& now = own.back();
  if (!std::isfinite(now.value)) return true;
  const int64_t previous = own.size() > 1 ? own[own.size() - 2].step : std::numeric_limits<int64_t>::min();
  // Every rung in (previous, now.step] is decided by this report.
  for (int64_t rung = min_resource_; rung <= now.step;) {
    if (rung > previous) {
      std::vector<double> competing = {now.value};
      for (const Trial& t : earlier) {
        double v = 0;
        if (RungValue(t.intermediate, rung, &v)) competing.push_back(v);
      }
      size_t promote = competing.size() / static_cast<size_t>(eta_);
      if (promote == 0) promote = 1;
      // Best first.
      std::sort(competing.begin(), competing.end(), [&](double a, double b) { return IsBetter(direction_, a, b); });
      if (IsBetter(direction_, competing[promote - 1], now.value)) return true;
    }
    if (rung > std::numeric_limits<int64_t>::max() / eta_) break;
    rung *= eta_;
  }
  return false;
}

}  // namespace mlops::ml
