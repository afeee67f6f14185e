// Fixed bins taken from a reference sample: the interior edges are the
// reference's quantiles at k/B (k = 1..B-1, NumPy's default "linear"
// quantile), equal edges merged, so ties and constant columns give fewer
// bins, never empty-width ones. Bin i holds the values v with
// edge[i-1] < v <= edge[i] (the first and last bins are open), which is
// numpy.searchsorted(edges, v, side="left"). Format and rules:
// docs/drift.md. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "mlops/common/status.h"

namespace mlops::ml::drift {

inline constexpr size_t kDefaultBins = 10;
inline constexpr size_t kMaxBins = 10000;

// numpy.quantile(sorted, q) with the default method, same rounding.
// REQUIRES: sorted non-empty, ascending, finite; 0 <= q <= 1.
double LinearQuantile(std::span<const double> sorted, double q);

// The interior edges for `bins` bins of the finite values in `values`
// (any order; NaNs are left out). InvalidArgument when bins is not in
// 2..kMaxBins, a value is
// infinite or there is no value.
Status QuantileEdges(std::span<const double> values, size_t bins, std::vector<double>* edges);

// Index of the bin that holds v: 0 .. edges.size(). REQUIRES: v not NaN.
size_t BinIndex(std::span<const double> edges, double v);

// Adds each non-NaN value of `values` to its bin in `counts` (edges.size()
// + 1 of them) and each NaN to *missing. REQUIRES: at most 65,535 edges.
void AddBinCounts(std::span<const double> edges, std::span<const double> values,
                  std::span<uint64_t> counts, uint64_t* missing);

// Counts per bin (edges.size() + 1 of them) of the non-NaN values; NaNs
// are counted in *missing when it is given.
std::vector<uint64_t> BinCounts(std::span<const double> edges, std::span<const double> values,
                                uint64_t* missing = nullptr);

}  // namespace mlops::ml::drift
