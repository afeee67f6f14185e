#include "drift/bins.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "drift/sample.h"

namespace mlops::ml::drift {

double LinearQuantile(std::span<const double> sorted, double q) {
  const size_t n = sorted.size();
  const double virtual_index = static_cast<double>(n - 1) * q;
  const double below = std::floor(virtual_index);
  const size_t lo = std::min(static_cast<size_t>(below), n - 1);
  const size_t hi = std::min(lo + 1, n - 1);
  const double t = virtual_index - below;
  const double a = sorted[lo], b = sorted[hi];
  const double diff = b - a;
  // NumPy interpolates from the nearer end, so each half is exact at its end.
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

Status QuantileEdges(std::span<const double> values, size_t bins, std::vector<double>* edges) {
  if (bins < 2) return Status::InvalidArgument("bins must be at least 2, got " + std::to_string(bins));
  std::vector<double> sorted;
  MLOPS_RETURN_IF_ERROR(PresentValues("reference", values, &sorted));
  std::sort(sorted.begin(), sorted.end());
  edges->clear();
  for (size_t k = 1; k < bins; ++k) {
    const double e = LinearQuantile(sorted, static_cast<double>(k) / static_cast<double>(bins));
    if (edges->empty() || e != edges->back()) edges->push_back(e);
  }
  return Status::OK();
}

size_t BinIndex(std::span<const double> edges, double v) {
  return static_cast<size_t>(std::lower_bound(edges.begin(), edges.end(), v) - edges.begin());
}

std::vector<uint64_t> BinCounts(std::span<const double> edges, std::span<const double> values,
                                uint64_t* missing) {
  std::vector<uint64_t> counts(edges.size() + 1, 0);
  uint64_t nan = 0;
  for (double v : values) {
    if (std::isnan(v)) {
      ++nan;
    } else {
      ++counts[BinIndex(edges, v)];
    }
  }
  if (missing != nullptr) *missing = nan;
  return counts;
}

}  // namespace mlops::ml::drift
