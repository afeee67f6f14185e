#include "metrics/ranking_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace mlops::ml::metrics {
namespace {

using Labels = std::vector<uint8_t>;
using Scores = std::vector<double>;

TEST(RankingMetrics, RocAucOfSklearnsExample) {
  double auc = 0;
  ASSERT_TRUE(BinaryRocAuc(Labels{0, 0, 1, 1}, Scores{0.1, 0.4, 0.35, 0.8}, &auc).ok());
  EXPECT_DOUBLE_EQ(auc, 0.75);
}

TEST(RankingMetrics, TiedScoresCountHalf) {
  double auc = 0;
  ASSERT_TRUE(BinaryRocAuc(Labels{0, 1, 0, 1}, Scores{0.5, 0.5, 0.5, 0.5}, &auc).ok());
  EXPECT_DOUBLE_EQ(auc, 0.5);
  // Pairs (positive, negative): 0.9 beats both negatives; 0.3 ties 0.3
  // (half a pair) and beats 0.1: 3.5 of 4.
  ASSERT_TRUE(BinaryRocAuc(Labels{1, 1, 0, 0}, Scores{0.9, 0.3, 0.3, 0.1}, &auc).ok());
  EXPECT_DOUBLE_EQ(auc, 3.5 / 4);
}

TEST(RankingMetrics, PerfectAndInvertedScores) {
  double auc = 0, ap = 0;
  std::string warning;
  ASSERT_TRUE(BinaryRocAuc(Labels{0, 1, 0, 1}, Scores{0.1, 0.9, 0.2, 0.8}, &auc).ok());
  EXPECT_EQ(auc, 1.0);
  ASSERT_TRUE(BinaryRocAuc(Labels{0, 1, 0, 1}, Scores{0.9, 0.1, 0.8, 0.2}, &auc).ok());
  EXPECT_EQ(auc, 0.0);
  ASSERT_TRUE(
      BinaryAveragePrecision(Labels{0, 1, 0, 1}, Scores{0.1, 0.9, 0.2, 0.8}, &ap, &warning).ok());
  EXPECT_EQ(ap, 1.0);
  EXPECT_TRUE(warning.empty());
  // Inverted: positives ranked last; precision 1/3 then 2/4 at recall 0.5, 1.
  ASSERT_TRUE(
      BinaryAveragePrecision(Labels{0, 1, 0, 1}, Scores{0.9, 0.1, 0.8, 0.2}, &ap, &warning).ok());
  EXPECT_DOUBLE_EQ(ap, 0.5 * (1.0 / 3) + 0.5 * 0.5);
}

TEST(RankingMetrics, AveragePrecisionOfSklearnsExample) {
  double ap = 0;
  std::string warning;
  ASSERT_TRUE(
      BinaryAveragePrecision(Labels{0, 0, 1, 1}, Scores{0.1, 0.4, 0.35, 0.8}, &ap, &warning).ok());
  EXPECT_NEAR(ap, 0.8333333333333333, 1e-15);
}

TEST(RankingMetrics, OneClassOnly) {
  double v = 0;
  std::string warning;
  Status st = BinaryRocAuc(Labels{1, 1}, Scores{0.2, 0.4}, &v);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("only one class present"), std::string::npos);
  ASSERT_TRUE(BinaryAveragePrecision(Labels{0, 0}, Scores{0.2, 0.4}, &v, &warning).ok());
  EXPECT_EQ(v, 0.0);
  EXPECT_FALSE(warning.empty());
  ASSERT_TRUE(BinaryAveragePrecision(Labels{1, 1}, Scores{0.2, 0.4}, &v, &warning).ok());
  EXPECT_EQ(v, 1.0);
  EXPECT_TRUE(warning.empty());
}

TEST(RankingMetrics, BadInput) {
  double v = 0;
  std::string w;
  EXPECT_TRUE(BinaryRocAuc(Labels{}, Scores{}, &v).IsInvalidArgument());
  EXPECT_TRUE(BinaryRocAuc(Labels{0, 1}, Scores{0.1}, &v).IsInvalidArgument());
  EXPECT_TRUE(
      BinaryAveragePrecision(Labels{0, 1}, Scores{0.1, INFINITY}, &v, &w).IsInvalidArgument());
}

TEST(RankingMetrics, OvrRefusesRowsThatAreNotProbabilities) {
  double v = 0;
  Status st = OvrRocAuc(std::vector<int>{0, 1, 2}, Scores{1, 0, 0, 0, 1, 0, 0, 0, 2}, 3, &v);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("row 2"), std::string::npos);
  ASSERT_TRUE(OvrRocAuc(std::vector<int>{0, 1, 2}, Scores{1, 0, 0, 0, 1, 0, 0, 0, 1}, 3, &v).ok());
  EXPECT_EQ(v, 1.0);
}

TEST(RankingMetrics, OvrAveragePrecisionOfAnAbsentClassIsZero) {
  double v = 0;
  std::vector<std::string> warnings;
  ASSERT_TRUE(
      OvrAveragePrecision(std::vector<int>{0, 1}, Scores{1, 0, 0, 0, 1, 0}, 3, &v, &warnings).ok());
  EXPECT_DOUBLE_EQ(v, 2.0 / 3);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("class 2"), std::string::npos);
}

}  // namespace
}  // namespace mlops::ml::metrics
