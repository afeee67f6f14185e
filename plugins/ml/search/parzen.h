// Parzen density estimators of one dimension, the building blocks of TPE
// (tpe_sampler.h). Immutable after construction; safe to share.
#pragma once

#include <vector>

#include "data/rng.h"

namespace mlops::ml {

// A mixture of Gaussians truncated to [low, high]: one kernel per
// observation plus a broad prior kernel (centre of the range, sigma = its
// width), equally weighted. Each kernel's sigma is the larger distance to
// its neighbours (the bounds at the ends), clipped to
// [width / min(100, kernels), width].
class ParzenEstimator {
 public:
  // REQUIRES: low < high.
  ParzenEstimator(const std::vector<double>& observations, double low, double high);

  double Sample(Rng& rng) const;
  // log density at x.
  double LogPdf(double x) const;
  // log of the probability of [a, b] (for integer dimensions: [k - .5, k + .5]).
  double LogMass(double a, double b) const;

 private:
  double low_, high_;
  std::vector<double> mu_, sigma_, norm_;  // norm_: each kernel's mass inside [low, high]
};

// Smoothed frequencies over `n` categories: (count + 1) / (total + n).
class CategoricalEstimator {
 public:
  CategoricalEstimator(const std::vector<int>& observations, int n);

  int Sample(Rng& rng) const;
  double LogProb(int k) const;

 private:
  std::vector<double> p_;
};

}  // namespace mlops::ml
