// Hand-checked values, the degenerate cases and the streaming accumulators
// of mlops_drift; scipy_reference_test.cc proves the values against SciPy.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "data/rng.h"
#include "drift/binned_measures.h"
#include "drift/bins.h"
#include "drift/ks.h"
#include "drift/streaming.h"
#include "drift/summary.h"
#include "drift/wasserstein.h"

namespace mlops::ml::drift {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(Bins, QuartileEdgesAndRightClosedBins) {
  std::vector<double> edges;
  ASSERT_TRUE(QuantileEdges(std::vector<double>{1, 2, 3, 4, 5}, 4, &edges).ok());
  EXPECT_EQ(edges, (std::vector<double>{2, 3, 4}));
  EXPECT_EQ(BinIndex(edges, 2.0), 0u);  // an edge belongs to the bin below it
  EXPECT_EQ(BinIndex(edges, 2.5), 1u);
  EXPECT_EQ(BinIndex(edges, 99), 3u);
  EXPECT_EQ(BinCounts(edges, std::vector<double>{1, 2, 3, 4, 5}),
            (std::vector<uint64_t>{2, 1, 1, 1}));
}

// BinCounts works on blocks of values; it must agree with BinIndex value by
// value, on edges, ties, infinities and NaNs, across block boundaries.
TEST(Bins, BlockCountsAgreeWithBinIndex) {
  Rng rng(5);
  std::vector<double> values;
  for (int i = 0; i < 3000; ++i) values.push_back(std::round(4 * rng.Normal()) / 4);
  values[17] = kNaN;
  values[1500] = kInf;
  values[2999] = -kInf;
  std::vector<double> edges;
  ASSERT_TRUE(QuantileEdges(std::vector<double>(values.begin(), values.begin() + 1000), 10, &edges).ok());
  std::vector<uint64_t> expected(edges.size() + 1, 0);
  for (double v : values) {
    if (!std::isnan(v)) ++expected[BinIndex(edges, v)];
  }
  uint64_t missing = 0;
  EXPECT_EQ(BinCounts(edges, values, &missing), expected);
  EXPECT_EQ(missing, 1u);
}

TEST(Bins, ConstantColumnMergesEdgesIntoTwoBins) {
  std::vector<double> edges;
  ASSERT_TRUE(QuantileEdges(std::vector<double>(50, 7.0), 10, &edges).ok());
  EXPECT_EQ(edges, std::vector<double>{7.0});
}

TEST(Bins, NoValueOrInfiniteIsAnError) {
  std::vector<double> edges;
  const Status all_nan = QuantileEdges(std::vector<double>{kNaN, kNaN}, 10, &edges);
  EXPECT_FALSE(all_nan.ok());
  EXPECT_NE(all_nan.message().find("all missing"), std::string::npos) << all_nan.ToString();
  EXPECT_FALSE(QuantileEdges(std::vector<double>{}, 10, &edges).ok());
  EXPECT_FALSE(QuantileEdges(std::vector<double>{1, kInf}, 10, &edges).ok());
  EXPECT_FALSE(QuantileEdges(std::vector<double>{1, 2}, 1, &edges).ok());
  EXPECT_FALSE(QuantileEdges(std::vector<double>{1, 2}, kMaxBins + 1, &edges).ok());
}

TEST(Psi, HandComputedValueAndEmptyBinFloor) {
  double psi = 0;
  ASSERT_TRUE(Psi(std::vector<uint64_t>{50, 50}, std::vector<uint64_t>{25, 75}, &psi).ok());
  EXPECT_NEAR(psi, -0.25 * std::log(0.5) + 0.25 * std::log(1.5), 1e-15);
  // An empty current bin counts as a share of 1e-4, not as zero.
  ASSERT_TRUE(Psi(std::vector<uint64_t>{50, 50}, std::vector<uint64_t>{100, 0}, &psi).ok());
  EXPECT_NEAR(psi, 0.5 * std::log(2.0) + (1e-4 - 0.5) * std::log(1e-4 / 0.5), 1e-12);
  EXPECT_TRUE(std::isfinite(psi));
}

TEST(Psi, EmptySidesAndMismatchedBinsAreErrors) {
  double psi = 0;
  EXPECT_FALSE(Psi(std::vector<uint64_t>{0, 0}, std::vector<uint64_t>{1, 2}, &psi).ok());
  EXPECT_FALSE(Psi(std::vector<uint64_t>{1, 2}, std::vector<uint64_t>{0, 0}, &psi).ok());
  EXPECT_FALSE(Psi(std::vector<uint64_t>{1, 2}, std::vector<uint64_t>{1, 2, 3}, &psi).ok());
  EXPECT_FALSE(JsDistance(std::vector<uint64_t>{}, std::vector<uint64_t>{}, &psi).ok());
}

TEST(JsDistance, DisjointIsOneAndEqualIsZero) {
  double js = -1;
  ASSERT_TRUE(JsDistance(std::vector<uint64_t>{10, 0}, std::vector<uint64_t>{0, 3}, &js).ok());
  EXPECT_NEAR(js, 1.0, 1e-15);
  ASSERT_TRUE(JsDistance(std::vector<uint64_t>{10, 20}, std::vector<uint64_t>{1, 2}, &js).ok());
  EXPECT_EQ(js, 0.0);
}

TEST(CategoricalPsi, UnseenCategoryOnEitherSideIsFloored) {
  double psi = 0;
  ASSERT_TRUE(CategoricalPsi({{"a", 1}, {"b", 1}}, {{"a", 1}, {"c", 1}}, &psi).ok());
  const double moved = (0.5 - 1e-4) * std::log(0.5 / 1e-4);
  EXPECT_NEAR(psi, 2 * moved, 1e-12);
}

TEST(Ks, DisjointSamplesOfThree) {
  KsResult r;
  ASSERT_TRUE(KolmogorovSmirnov(std::vector<double>{1, 2, 3}, std::vector<double>{4, 5, 6}, &r).ok());
  EXPECT_EQ(r.statistic, 1.0);
  EXPECT_NEAR(r.p_value, 2.0 / 20.0, 1e-15);  // 2 of the binom(6, 3) orderings
  EXPECT_EQ(r.reference_rows, 3u);
}

TEST(Ks, IdenticalSamplesHaveStatisticZeroPValueOne) {
  KsResult r;
  const std::vector<double> a{1, 1, 2, 3, 3, 3};
  ASSERT_TRUE(KolmogorovSmirnov(a, a, &r).ok());
  EXPECT_EQ(r.statistic, 0.0);
  EXPECT_EQ(r.p_value, 1.0);
}

TEST(Ks, MissingValuesAreLeftOutAndCounted) {
  KsResult r;
  ASSERT_TRUE(
      KolmogorovSmirnov(std::vector<double>{1, kNaN, 2}, std::vector<double>{kNaN, 5}, &r).ok());
  EXPECT_EQ(r.reference_rows, 2u);
  EXPECT_EQ(r.current_rows, 1u);
}

TEST(Ks, EmptyOrAllMissingIsAnErrorNamingTheSide) {
  KsResult r;
  const Status st = KolmogorovSmirnov(std::vector<double>{1, 2}, std::vector<double>{kNaN}, &r);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("current"), std::string::npos) << st.ToString();
  EXPECT_FALSE(KolmogorovSmirnov(std::vector<double>{}, std::vector<double>{1}, &r).ok());
}

TEST(Wasserstein, ShiftIsTheDistanceAndConstantReferenceIsAnError) {
  double w = 0;
  ASSERT_TRUE(Wasserstein(std::vector<double>{0, 1, 2}, std::vector<double>{3, 4, 5}, &w).ok());
  EXPECT_NEAR(w, 3.0, 1e-15);
  ASSERT_TRUE(
      NormalisedWasserstein(std::vector<double>{0, 2}, std::vector<double>{1, 3}, &w).ok());
  EXPECT_NEAR(w, 1.0, 1e-15);  // moved 1, reference std 1
  const Status st = NormalisedWasserstein(std::vector<double>{4, 4}, std::vector<double>{1}, &w);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("constant"), std::string::npos) << st.ToString();
}

TEST(Streaming, BinnedCounterMatchesBatchCounts) {
  Rng rng(3);
  std::vector<double> ref, cur;
  for (int i = 0; i < 1000; ++i) ref.push_back(rng.Normal());
  for (int i = 0; i < 700; ++i) cur.push_back(i % 50 == 0 ? kNaN : rng.Normal() + 0.3);
  std::vector<double> edges;
  ASSERT_TRUE(QuantileEdges(ref, 10, &edges).ok());
  BinnedCounter counter(edges);
  for (double v : cur) counter.Add(v);
  uint64_t missing = 0;
  EXPECT_EQ(counter.counts(), BinCounts(edges, cur, &missing));
  EXPECT_EQ(counter.missing(), missing);
  EXPECT_EQ(counter.missing(), 14u);
  EXPECT_EQ(counter.present(), 686u);
}

TEST(Streaming, ReservoirIsBoundedUniformAndDeterministic) {
  KsReservoir a(100), b(100);
  for (int i = 0; i < 100000; ++i) {
    a.Add(i);
    b.Add(i);
  }
  a.Add(kNaN);
  EXPECT_EQ(a.sample().size(), 100u);
  EXPECT_EQ(a.seen(), 100000u);
  EXPECT_EQ(a.missing(), 1u);
  EXPECT_EQ(a.sample(), b.sample());
  double mean = 0;
  for (double v : a.sample()) mean += v / 100;
  EXPECT_NEAR(mean, 50000, 10000);  // a uniform sample, not the first 100
}

// The verdict of an effect-size measure must not flip with the row count:
// the same populations, compared on 2,000 or on 200,000 rows, give the same
// verdict against the default thresholds (docs/drift.md). KS works on the
// bounded sample the monitor keeps, as in production.
TEST(Verdict, DoesNotFlipWithSampleSizeAlone) {
  Rng rng(11);
  std::vector<double> ref;
  for (size_t i = 0; i < kDefaultKsSample; ++i) ref.push_back(rng.Normal());
  std::vector<double> edges;
  ASSERT_TRUE(QuantileEdges(ref, 10, &edges).ok());
  const std::vector<uint64_t> rc = BinCounts(edges, ref);
  for (size_t n : {2000u, 200000u}) {
    SCOPED_TRACE(n);
    std::vector<double> same, moved;
    for (size_t i = 0; i < n; ++i) same.push_back(rng.Normal());
    for (size_t i = 0; i < n; ++i) moved.push_back(1.0 + rng.Normal());
    double psi_same = 0, psi_moved = 0;
    ASSERT_TRUE(Psi(rc, BinCounts(edges, same), &psi_same).ok());
    ASSERT_TRUE(Psi(rc, BinCounts(edges, moved), &psi_moved).ok());
    EXPECT_LT(psi_same, kDefaultPsiAlarm);
    EXPECT_GT(psi_moved, kDefaultPsiAlarm);
    KsReservoir same_sample, moved_sample;
    for (double v : same) same_sample.Add(v);
    for (double v : moved) moved_sample.Add(v);
    KsResult ks_same, ks_moved;
    ASSERT_TRUE(KolmogorovSmirnov(ref, same_sample.sample(), &ks_same).ok());
    ASSERT_TRUE(KolmogorovSmirnov(ref, moved_sample.sample(), &ks_moved).ok());
    EXPECT_LT(ks_same.statistic, DefaultThreshold(Measure::kKs));
    EXPECT_GT(ks_moved.statistic, DefaultThreshold(Measure::kKs));
  }
}

TEST(Summary, DriftedFeaturesAndWorstByRatioToThreshold) {
  std::vector<FeatureScore> scores = {
      {"radius", Measure::kPsi, 0.3, 0.2, 100, 100},  // 1.5x
      {"texture", Measure::kKs, 0.05, 0.1, 100, 100},
      {"area", Measure::kKs, 0.25, 0.1, 100, 100},  // 2.5x
  };
  const BatchSummary s = Summarise(scores);
  EXPECT_EQ(s.drifted, (std::vector<size_t>{0, 2}));
  ASSERT_TRUE(s.worst.has_value());
  EXPECT_EQ(*s.worst, 2u);
  EXPECT_FALSE(Summarise({}).worst.has_value());
  EXPECT_EQ(ParseMeasure("wasserstein"), Measure::kWasserstein);
  EXPECT_FALSE(ParseMeasure("chi2").has_value());
}

}  // namespace
}  // namespace mlops::ml::drift
