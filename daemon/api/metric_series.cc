#include "api/metric_series.h"

#include <algorithm>

namespace mlops::api {

std::vector<MetricBucket> BucketSeries(std::vector<registry::MetricRecord> points, int max_points) {
  std::stable_sort(points.begin(), points.end(), [](const auto& a, const auto& b) {
    return a.step != b.step ? a.step < b.step : a.time_ms < b.time_ms;
  });
  const size_t n = points.size();
  const size_t buckets = std::min(n, static_cast<size_t>(std::max(max_points, 1)));
  std::vector<MetricBucket> out;
  out.reserve(buckets);
  for (size_t i = 0; i < buckets; ++i) {
    const size_t begin = i * n / buckets;
    const size_t end = (i + 1) * n / buckets;
    MetricBucket b;
    b.step = points[end - 1].step;
    b.last = points[end - 1].value;
    b.min = b.max = points[begin].value;
    for (size_t k = begin; k < end; ++k) {
      b.min = std::min(b.min, points[k].value);
      b.max = std::max(b.max, points[k].value);
    }
    out.push_back(b);
  }
  return out;
}

}  // namespace mlops::api
