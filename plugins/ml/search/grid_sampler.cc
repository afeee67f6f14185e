#include "search/grid_sampler.h"

#include <cmath>
#include <limits>

namespace mlops::ml {

std::vector<double> GridCoordinates(const Dimension& d, int grid_points) {
  std::vector<double> v;
  switch (d.kind) {
    case DimensionKind::kFixed:
      v.push_back(0);
      break;
    case DimensionKind::kChoice:
      for (size_t i = 0; i < d.choices.size(); ++i) v.push_back(static_cast<double>(i));
      break;
    case DimensionKind::kInt:
      if (grid_points == 1) {
        v.push_back(std::round((d.low + d.high) / 2));
        break;
      }
      for (int i = 0; i < grid_points; ++i) {
        const double c = std::round(d.low + (d.high - d.low) * i / (grid_points - 1));
        if (v.empty() || c != v.back()) v.push_back(c);
      }
      break;
    case DimensionKind::kUniform:
    case DimensionKind::kLogUniform:
      if (grid_points == 1) {
        v.push_back((d.low + d.high) / 2);
        break;
      }
      for (int i = 0; i < grid_points; ++i) {
        v.push_back(i == grid_points - 1 ? d.high : d.low + (d.high - d.low) * i / (grid_points - 1));
      }
      break;
  }
  return v;
}

GridSampler::GridSampler(const SearchSpace& space, int grid_points) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (const auto& d : space.dims) {
    axes_.push_back(GridCoordinates(d, grid_points));
    const auto n = static_cast<int64_t>(axes_.back().size());
    size_ = size_ > kMax / n ? kMax : size_ * n;
  }
}

std::vector<double> GridSampler::Suggest(int number, const std::vector<Trial>&, Rng&) const {
  std::vector<double> x(axes_.size());
  int64_t rest = size_ == 0 ? 0 : number % size_;
  for (size_t i = axes_.size(); i-- > 0;) {
    const auto n = static_cast<int64_t>(axes_[i].size());
    x[i] = axes_[i][static_cast<size_t>(rest % n)];
    rest /= n;
  }
  return x;
}

}  // namespace mlops::ml
