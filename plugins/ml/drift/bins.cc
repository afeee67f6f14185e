#include "drift/bins.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>

#include "drift/sample.h"

namespace mlops::ml::drift {

namespace {

// Puts values[i] in its sorted place for every i in `wanted` (ascending, all
// in [from, to)), the median wanted one first and then each side's: O(n log k).
void SelectOrderStatistics(std::vector<double>& values, size_t from, size_t to,
                           std::span<const size_t> wanted) {
  if (wanted.empty()) return;
  const size_t mid = wanted.size() / 2;
  const auto at = [&](size_t i) { return values.begin() + static_cast<std::ptrdiff_t>(i); };
  std::nth_element(at(from), at(wanted[mid]), at(to));
  SelectOrderStatistics(values, from, wanted[mid], wanted.first(mid));
  SelectOrderStatistics(values, wanted[mid] + 1, to, wanted.subspan(mid + 1));
}

}  // namespace

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
  if (bins < 2 || bins > kMaxBins) {
    return Status::InvalidArgument("bins must be from 2 to " + std::to_string(kMaxBins) + ", got " +
                                   std::to_string(bins));
  }
  std::vector<double> sorted;
  MLOPS_RETURN_IF_ERROR(PresentValues("reference", values, &sorted));
  // Only the order statistics the quantiles read need to be in place.
  const size_t n = sorted.size();
  std::vector<size_t> needed;
  for (size_t k = 1; k < bins; ++k) {
    const double virtual_index =
        static_cast<double>(n - 1) * (static_cast<double>(k) / static_cast<double>(bins));
    const size_t lo = std::min(static_cast<size_t>(std::floor(virtual_index)), n - 1);
    needed.push_back(lo);
    needed.push_back(std::min(lo + 1, n - 1));
  }
  std::sort(needed.begin(), needed.end());
  needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
  SelectOrderStatistics(sorted, 0, sorted.size(), needed);
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

void AddBinCounts(std::span<const double> edges, std::span<const double> values,
                  std::span<uint64_t> counts, uint64_t* missing) {
  // A bin index is the number of edges below the value. Edge by edge over a
  // block of values the comparisons vectorise; a value is counted once.
  constexpr size_t kBlock = 1024;
  uint16_t index[kBlock];
  for (size_t start = 0; start < values.size(); start += kBlock) {
    const size_t len = std::min(kBlock, values.size() - start);
    const double* v = values.data() + start;
    std::fill(index, index + len, uint16_t{0});
    for (double e : edges) {
      for (size_t i = 0; i < len; ++i) index[i] = static_cast<uint16_t>(index[i] + (v[i] > e));
    }
    for (size_t i = 0; i < len; ++i) {
      if (std::isnan(v[i])) {
        ++*missing;
      } else {
        ++counts[index[i]];
      }
    }
  }
}

std::vector<uint64_t> BinCounts(std::span<const double> edges, std::span<const double> values,
                                uint64_t* missing) {
  std::vector<uint64_t> counts(edges.size() + 1, 0);
  uint64_t nan = 0;
  AddBinCounts(edges, values, counts, &nan);
  if (missing != nullptr) *missing = nan;
  return counts;
}

}  // namespace mlops::ml::drift
