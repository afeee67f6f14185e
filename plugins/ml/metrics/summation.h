// Sums and means in the order numpy computes them (pairwise summation in
// blocks of 8 and 128, numpy/core/src/umath/loops_utils.h.src), so a mean
// here is bit for bit numpy's np.mean of the same values, and as accurate.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <span>

namespace mlops::ml::metrics {

// Sum of a[0], a[stride], ..., a[(n-1)*stride]; 0 for n == 0.
double PairwiseSum(const double* a, size_t n, size_t stride = 1);
inline double PairwiseSum(std::span<const double> a) { return PairwiseSum(a.data(), a.size()); }

// PairwiseSum / size. REQUIRES: !a.empty().
inline double Mean(std::span<const double> a) {
  return PairwiseSum(a) / static_cast<double>(a.size());
}

}  // namespace mlops::ml::metrics
