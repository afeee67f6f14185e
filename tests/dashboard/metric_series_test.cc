// Server-side bucketing of metric series (docs/dashboard.md, "Metric
// series"): bounded, deterministic, min/max/last per bucket.
#include <gtest/gtest.h>

#include <algorithm>

#include "api/metric_series.h"

namespace mlops::api {
namespace {

std::vector<registry::MetricRecord> Series(int n) {
  std::vector<registry::MetricRecord> pts;
  for (int i = n; i >= 1; --i) pts.push_back({"loss", (i % 7) * 1.0 + i * 0.001, i, i});  // reversed
  return pts;
}

TEST(BucketSeries, AShortSeriesComesBackWholeInStepOrder) {
  auto out = BucketSeries(Series(5), 1500);
  ASSERT_EQ(out.size(), 5u);
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].step, static_cast<int64_t>(i + 1));
    EXPECT_EQ(out[i].min, out[i].last);
    EXPECT_EQ(out[i].max, out[i].last);
  }
  EXPECT_TRUE(BucketSeries({}, 10).empty());
}

TEST(BucketSeries, ALongSeriesIsCutIntoEqualCountBucketsWithMinMaxLast) {
  const auto in = Series(100000);
  auto out = BucketSeries(in, 1500);
  ASSERT_EQ(out.size(), 1500u);
  EXPECT_EQ(out.back().step, 100000);
  // Bucket 0 holds steps 1..66 (floor(100000/1500) = 66).
  EXPECT_EQ(out[0].step, 66);
  double lo = 1e9, hi = -1e9;
  for (int s = 1; s <= 66; ++s) {
    const double v = (s % 7) * 1.0 + s * 0.001;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_DOUBLE_EQ(out[0].min, lo);
  EXPECT_DOUBLE_EQ(out[0].max, hi);
  EXPECT_DOUBLE_EQ(out[0].last, (66 % 7) * 1.0 + 66 * 0.001);
  for (size_t i = 1; i < out.size(); ++i) EXPECT_LT(out[i - 1].step, out[i].step);
  // Deterministic: the same points in another order give the same buckets.
  auto shuffled = in;
  std::reverse(shuffled.begin(), shuffled.end());
  auto again = BucketSeries(shuffled, 1500);
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(again[i].step, out[i].step);
    EXPECT_EQ(again[i].last, out[i].last);
  }
}

TEST(BucketSeries, EqualStepsKeepTheirTimeOrder) {
  std::vector<registry::MetricRecord> pts = {{"k", 2, 1, 20}, {"k", 1, 1, 10}, {"k", 5, 2, 5}};
  auto out = BucketSeries(pts, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].step, 2);
  EXPECT_EQ(out[0].last, 5);
  EXPECT_EQ(out[0].min, 1);
  EXPECT_EQ(out[0].max, 5);
}

}  // namespace
}  // namespace mlops::api
