// One-pass accumulators for served traffic and large files. BinnedCounter
// keeps counts over fixed bin edges (constant memory: one counter per bin
// plus the missing count), enough for PSI and the JS distance
// (binned_measures.h). KsReservoir keeps a uniform sample of at most
// `capacity` values (reservoir sampling with a fixed seed, so the same
// stream gives the same sample) for the KS test and the Wasserstein
// distance; the sample's size and the number of values seen are recorded so
// a report can state what the statistic was computed on. Not thread-safe:
// one owner feeds each accumulator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "data/rng.h"

namespace mlops::ml::drift {

inline constexpr size_t kDefaultKsSample = 5000;

class BinnedCounter {
 public:
  explicit BinnedCounter(std::vector<double> edges)
      : edges_(std::move(edges)), counts_(edges_.size() + 1, 0) {}

  void Add(double v);
  void Add(std::span<const double> values);

  const std::vector<double>& edges() const { return edges_; }
  const std::vector<uint64_t>& counts() const { return counts_; }
  uint64_t missing() const { return missing_; }
  uint64_t present() const { return present_; }

 private:
  std::vector<double> edges_;
  std::vector<uint64_t> counts_;
  uint64_t missing_ = 0;
  uint64_t present_ = 0;
};

class KsReservoir {
 public:
  explicit KsReservoir(size_t capacity = kDefaultKsSample, uint64_t seed = 0x5eed)
      : capacity_(capacity), rng_(seed) {}

  // NaNs are counted as missing and not sampled.
  void Add(double v);

  const std::vector<double>& sample() const { return sample_; }
  size_t capacity() const { return capacity_; }
  uint64_t seen() const { return seen_; }  // non-NaN values offered
  uint64_t missing() const { return missing_; }

 private:
  size_t capacity_;
  Rng rng_;
  std::vector<double> sample_;
  uint64_t seen_ = 0;
  uint64_t missing_ = 0;
};

}  // namespace mlops::ml::drift
