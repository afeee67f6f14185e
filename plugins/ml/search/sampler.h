// Samplers suggest the point of the next trial. Suggest() sees only trials
// of earlier batches (search.h), and draws every random number from the
// trial's own stream, so the same seed gives the same points. Const and
// stateless after construction: safe to call from several threads at once.
#pragma once

#include <vector>

#include "data/rng.h"
#include "search/space.h"
#include "search/trial.h"

namespace mlops::ml {

class Sampler {
 public:
  virtual ~Sampler() = default;
  // The point (space.h coordinates) for trial `number`.
  virtual std::vector<double> Suggest(int number, const std::vector<Trial>& history, Rng& rng) const = 0;
};

// Draws a coordinate of `d` uniformly (log-uniformly for loguniform).
double SampleUniform(const Dimension& d, Rng& rng);

// Every dimension independently at random.
class RandomSampler : public Sampler {
 public:
  explicit RandomSampler(const SearchSpace& space) : space_(space) {}
  std::vector<double> Suggest(int number, const std::vector<Trial>& history, Rng& rng) const override;

 private:
  const SearchSpace& space_;
};

}  // namespace mlops::ml
