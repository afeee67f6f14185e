// The three kinds of value a metric series holds. Each is lock-free: updates
// are relaxed atomic operations, cheap enough for every request and every
// stage attempt. Series are created by a Family (metric_family.h) and live as
// long as its Registry, so callers may keep a reference to one.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace mlops::metrics {

// Only goes up (or back to zero when the process restarts).
class Counter {
 public:
  // Negative or NaN increments are ignored: a counter never goes down.
  void Inc(double amount = 1.0);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Goes up and down.
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double amount) { value_.fetch_add(amount, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Counts observations into buckets with fixed upper bounds (plus +Inf) and
// keeps their sum.
class Histogram {
 public:
  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };

  // REQUIRES: `bounds` strictly increasing, finite; it must outlive this.
  explicit Histogram(const std::vector<double>* bounds);
  // An observation v lands in the first bucket whose bound is >= v.
  void Observe(double value);
  // The count is the sum of the buckets read, so `_count` always equals the
  // `+Inf` bucket, even while other threads observe.
  Snapshot Read() const;

 private:
  const std::vector<double>* bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_->size() + 1
  std::atomic<double> sum_{0};
};

// Bucket bounds for request and registry latencies: 1 ms .. 10 s.
std::vector<double> LatencyBuckets();
// Bucket bounds for stage and run durations: 0.1 s .. 6 h.
std::vector<double> DurationBuckets();

}  // namespace mlops::metrics
