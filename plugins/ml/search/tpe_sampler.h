// TpeSampler: the Tree-structured Parzen Estimator (Bergstra et al. 2011),
// independent per dimension. The first n_startup trials are random; after
// that the trials with a value are split at the gamma quantile of the
// objective into good and bad, each dimension gets a density l(x) over the
// good and g(x) over the bad (Gaussian kernels in log space for loguniform,
// integers by rounding, smoothed frequencies for choice), `candidates`
// points are drawn from l and the one with the largest l(x)/g(x) wins.
// Pruned trials count with their best reported value.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "mlops/common/status.h"
#include "search/sampler.h"

namespace mlops::ml {

struct TpeOptions {
  int n_startup = 0;     // random trials first; 0: max(5, 2 * searchable dimensions)
  double gamma = 0.25;   // fraction of trials that are "good" (at least one)
  int candidates = 24;   // draws from l(x) per suggestion
};

class TpeSampler : public Sampler {
 public:
  TpeSampler(const SearchSpace& space, const TpeOptions& options, Direction direction);

  std::vector<double> Suggest(int number, const std::vector<Trial>& history, Rng& rng) const override;
  int startup() const { return startup_; }

 private:
  const SearchSpace& space_;
  TpeOptions options_;
  Direction direction_;
  int startup_;
};

}  // namespace mlops::ml
