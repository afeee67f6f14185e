// The two-sample Kolmogorov-Smirnov test, two-sided, as
// scipy.stats.ks_2samp(reference, current, method="exact") computes it:
// the statistic is the largest gap between the two empirical CDFs and the
// p-value the exact probability, under the null hypothesis, that a random
// lattice path from (0, 0) to (n1, n2) leaves the band of that width. Exact
// for any sizes (the path probabilities are kept normalised, so nothing
// overflows); scipy itself switches to its asymptotic mode once
// lcm(n1, n2) >= 2^31, beyond the bounded samples the drift monitor keeps
// (streaming.h). Cost O(n log n) for the statistic; for the p-value O(n)
// when the sizes are equal (the reflection formula), else O(n1 * band). NaNs are missing values and are left out (sample.h).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>

#include "mlops/common/status.h"

namespace mlops::ml::drift {

struct KsResult {
  double statistic = 0;  // in [0, 1]
  double p_value = 1;    // in [0, 1]
  uint64_t reference_rows = 0;  // values compared, NaNs left out
  uint64_t current_rows = 0;
};

// InvalidArgument when a side has no value or an infinite one.
Status KolmogorovSmirnov(std::span<const double> reference, std::span<const double> current,
                         KsResult* out);

// Pr(D >= h / lcm(n1, n2)) for samples of n1 and n2 values under the null
// hypothesis. REQUIRES: n1, n2 > 0.
double KsExactPValue(uint64_t n1, uint64_t n2, uint64_t h);

}  // namespace mlops::ml::drift
