#include "drift/streaming.h"

#include <cmath>

#include "drift/bins.h"

namespace mlops::ml::drift {

void BinnedCounter::Add(double v) {
  if (std::isnan(v)) {
    ++missing_;
    return;
  }
  ++counts_[BinIndex(edges_, v)];
  ++present_;
}

void BinnedCounter::Add(std::span<const double> values) {
  const uint64_t missing_before = missing_;
  AddBinCounts(edges_, values, counts_, &missing_);
  present_ += values.size() - (missing_ - missing_before);
}

void KsReservoir::Add(double v) {
  if (std::isnan(v)) {
    ++missing_;
    return;
  }
  ++seen_;
  if (sample_.size() < capacity_) {
    sample_.push_back(v);
    return;
  }
  const uint64_t slot = rng_.Below(seen_);
  if (slot < capacity_) sample_[slot] = v;
}

}  // namespace mlops::ml::drift
