// Bucketing of one metric series for charts (docs/dashboard.md, "Metric
// series"): deterministic and server-side, so that a series of any length
// reaches the browser as at most `max_points` points.
//
// The points are ordered by (step, time_ms, their order in the input). A
// series of at most `max_points` points comes back whole, one point per
// bucket. A longer one is cut into `max_points` buckets of consecutive
// points, bucket i holding the points [floor(i*n/max_points),
// floor((i+1)*n/max_points)); each bucket gives its last point's step and
// value, and the least and the greatest value in it. The same input always
// gives the same output.
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <vector>

#include "mlops/registry/records.h"

namespace mlops::api {

struct MetricBucket {
  int64_t step = 0;  // the last point's
  double last = 0;
  double min = 0;
  double max = 0;
};

// REQUIRES: max_points >= 1.
std::vector<MetricBucket> BucketSeries(std::vector<registry::MetricRecord> points, int max_points);

}  // namespace mlops::api
