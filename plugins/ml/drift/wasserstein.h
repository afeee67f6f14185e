// The first Wasserstein (earth mover's) distance between two samples,
// scipy.stats.wasserstein_distance(reference, current), divided by the
// reference's standard deviation (population, numpy.std with ddof 0) so
// that one threshold fits features of any scale: 0.1 means the mass moved
// a tenth of a reference standard deviation on average. NaNs are missing
// values and are left out (sample.h). Pure functions; thread-safe.
#pragma once

#include <span>

#include "mlops/common/status.h"

namespace mlops::ml::drift {

// Unnormalised distance. InvalidArgument when a side has no value or an
// infinite one.
Status Wasserstein(std::span<const double> reference, std::span<const double> current,
                   double* out);

// Wasserstein / std(reference). InvalidArgument as above, and when the
// reference is constant (its standard deviation is 0).
Status NormalisedWasserstein(std::span<const double> reference, std::span<const double> current,
                             double* out);

// numpy.std(values) (ddof 0, NumPy's summation order). REQUIRES: non-empty.
double PopulationStd(std::span<const double> values);

}  // namespace mlops::ml::drift
