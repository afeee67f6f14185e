#include "search/sampler.h"

#include <cstdint>

namespace mlops::ml {

double SampleUniform(const Dimension& d, Rng& rng) {
  switch (d.kind) {
    case DimensionKind::kUniform:
    case DimensionKind::kLogUniform:
      return rng.Uniform(d.low, d.high);
    case DimensionKind::kInt:
    case DimensionKind::kChoice:
      return d.low + static_cast<double>(rng.Below(static_cast<uint64_t>(d.high - d.low) + 1));
    case DimensionKind::kFixed:
      break;
  }
  return 0;
}

std::vector<double> RandomSampler::Suggest(int, const std::vector<Trial>&, Rng& rng) const {
  std::vector<double> x;
  x.reserve(space_.dims.size());
  for (const auto& d : space_.dims) x.push_back(SampleUniform(d, rng));
  return x;
}

}  // namespace mlops::ml
