#include "metrics/regression_metrics.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <vector>

#include "metrics/summation.h"

namespace mlops::ml::metrics {
namespace {

using V = std::vector<double>;

TEST(RegressionMetrics, SklearnsDocumentedExample) {
  const V y = {3, -0.5, 2, 7}, p = {2.5, 0.0, 2, 8};
  MetricSet m;
  ASSERT_TRUE(EvaluateRegression(y, p, &m).ok());
  EXPECT_DOUBLE_EQ(*m.Get("rmse"), std::sqrt(0.375));
  EXPECT_DOUBLE_EQ(*m.Get("mae"), 0.5);
  EXPECT_NEAR(*m.Get("r2"), 0.9486081370449679, 1e-15);
  EXPECT_NEAR(*m.Get("mape"), 0.3273809523809524, 1e-15);
  std::vector<std::string> names;
  for (const auto& [n, v] : m.values()) names.push_back(n);
  EXPECT_EQ(names, RegressionMetricNames());
}

TEST(RegressionMetrics, MapeDividesZeroTargetsByEpsilon) {
  EXPECT_DOUBLE_EQ(Mape(V{0.0}, V{1.0}), 1.0 / DBL_EPSILON);
  EXPECT_DOUBLE_EQ(Mape(V{1.0, 0.0}, V{1.5, 0.0}), 0.25);
}

TEST(RegressionMetrics, ConstantTargets) {
  double r2 = -1;
  ASSERT_TRUE(R2(V{2, 2, 2}, V{2, 2, 2}, &r2).ok());
  EXPECT_EQ(r2, 1.0);
  ASSERT_TRUE(R2(V{2, 2, 2}, V{1, 2, 3}, &r2).ok());
  EXPECT_EQ(r2, 0.0);
  // 0.1 * 3 / 3 is not 0.1 in doubles: still constant.
  ASSERT_TRUE(R2(V{0.1, 0.1, 0.1}, V{0.2, 0.1, 0.1}, &r2).ok());
  EXPECT_EQ(r2, 0.0);
  // Constant predictions of a varying target: at most 0 (the mean gives 0).
  ASSERT_TRUE(R2(V{1, 2, 3}, V{2, 2, 2}, &r2).ok());
  EXPECT_EQ(r2, 0.0);
}

TEST(RegressionMetrics, OneSampleLeavesR2Undefined) {
  MetricSet m;
  ASSERT_TRUE(EvaluateRegression(V{1.0}, V{2.0}, &m).ok());
  EXPECT_FALSE(m.Get("r2").has_value());
  ASSERT_NE(m.UndefinedReason("r2"), nullptr);
  EXPECT_NE(m.UndefinedReason("r2")->find("less than two samples"), std::string::npos);
  EXPECT_EQ(*m.Get("rmse"), 1.0);
}

TEST(RegressionMetrics, OverflowIsUndefinedNotInfinite) {
  MetricSet m;
  ASSERT_TRUE(EvaluateRegression(V{0.0, 1.0}, V{1e300, 1.0}, &m).ok());
  EXPECT_FALSE(m.Get("mape").has_value());
  EXPECT_NE(m.UndefinedReason("mape"), nullptr);
  EXPECT_EQ(*m.Get("mae"), 5e299);
}

TEST(RegressionMetrics, BadInput) {
  MetricSet m;
  EXPECT_TRUE(EvaluateRegression(V{}, V{}, &m).IsInvalidArgument());
  EXPECT_TRUE(EvaluateRegression(V{1, 2}, V{1}, &m).IsInvalidArgument());
  Status st = EvaluateRegression(V{1, NAN}, V{1, 2}, &m);
  EXPECT_NE(st.message().find("target of sample 1 is not finite"), std::string::npos);
}

TEST(Summation, PairwiseSumIsNumpysOrder) {
  EXPECT_EQ(PairwiseSum(V{}), 0.0);
  EXPECT_EQ(PairwiseSum(V{1, 2, 3}), 6.0);
  // Ten values: eight accumulators, then the rest one by one.
  V ten = {1e16, 1, -1e16, 1, 1, 1, 1, 1, 1, 1};
  double naive = 0;
  for (double v : ten) naive += v;
  EXPECT_EQ(PairwiseSum(ten), ((1e16 + 1) + (-1e16 + 1)) + ((1.0 + 1.0) + (1.0 + 1.0)) + 1 + 1);
  EXPECT_NE(PairwiseSum(ten), naive);
  // Large inputs stay accurate: 1e6 times 0.1.
  V many(1000000, 0.1);
  EXPECT_NEAR(Mean(many), 0.1, 1e-15);
}

}  // namespace
}  // namespace mlops::ml::metrics
