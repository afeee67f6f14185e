// GridSampler: the full grid of a search space in a fixed order. Choice
// dimensions contribute their values as listed; int and continuous ones
// `grid_points` values from low to high inclusive (log-spaced for
// loguniform; distinct integers for int); fixed ones their value. Trial n
// is the n-th point in row-major order over the dimensions in name order,
// the last dimension varying fastest.
#pragma once

#include <cstdint>
#include <vector>

#include "search/sampler.h"

namespace mlops::ml {

// The coordinates dimension `d` takes on the grid. REQUIRES: grid_points >= 1.
std::vector<double> GridCoordinates(const Dimension& d, int grid_points);

class GridSampler : public Sampler {
 public:
  GridSampler(const SearchSpace& space, int grid_points);

  // Number of points; saturates at INT64_MAX.
  int64_t size() const { return size_; }
  // Trial n's point, n modulo size().
  std::vector<double> Suggest(int number, const std::vector<Trial>& history, Rng& rng) const override;

 private:
  std::vector<std::vector<double>> axes_;
  int64_t size_ = 1;
};

}  // namespace mlops::ml
