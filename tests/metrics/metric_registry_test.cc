// The exposition library: exact text, escaping, histograms, bounds on
// labels, misuse caught at declaration, and lock-free concurrent updates.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "metrics/metric_registry.h"
#include "metrics/text_format.h"

namespace mlops::metrics {
namespace {

TEST(TextFormat, EscapesBackslashQuoteAndNewlineInLabelValues) {
  EXPECT_EQ(EscapeLabelValue(R"(a\b)"), R"(a\\b)");
  EXPECT_EQ(EscapeLabelValue(R"(say "hi")"), R"(say \"hi\")");
  EXPECT_EQ(EscapeLabelValue("two\nlines"), R"(two\nlines)");
  EXPECT_EQ(EscapeLabelValue("\\\"\n"), R"(\\\"\n)");
  EXPECT_EQ(EscapeLabelValue("tab\tstays"), "tab\tstays");
}

TEST(TextFormat, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(EscapeLabelValue("caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x9A\x80"),
            "caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x9A\x80");
  // A lone continuation byte, a truncated sequence, an overlong '/', a
  // UTF-16 surrogate: each becomes U+FFFD.
  EXPECT_EQ(EscapeLabelValue("a\x80" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(EscapeLabelValue("x\xE2\x9C"), "x\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(EscapeLabelValue("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(EscapeLabelValue("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(TextFormat, HelpEscapesBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(EscapeHelp("a \"b\" c\\d\ne"), R"(a "b" c\\d\ne)");
  EXPECT_EQ(EscapeHelp("a \"b\"", /*openmetrics=*/true), R"(a \"b\")");
}

TEST(TextFormat, FormatsValuesShortestAndSpecialValuesByName) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(2), "2");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(-1.5), "-1.5");
  EXPECT_EQ(FormatValue(1e21), "1e+21");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
  EXPECT_EQ(std::stod(FormatValue(1.0 / 3)), 1.0 / 3);
}

TEST(TextFormat, ChecksAndSanitizesNames) {
  EXPECT_TRUE(IsValidMetricName("mlopsd_runs_total"));
  EXPECT_TRUE(IsValidMetricName("a:b"));
  EXPECT_FALSE(IsValidMetricName("1abc"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_TRUE(IsValidLabelName("pipeline"));
  EXPECT_FALSE(IsValidLabelName("__name__"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_EQ(SanitizeMetricName("val/loss-1"), "val_loss_1");
  EXPECT_EQ(SanitizeMetricName("1st"), "_1st");
  EXPECT_EQ(SanitizeMetricName(""), "_");
}

TEST(Registry, ExposesExactTextOrderedByNameWithOneHelpAndTypePerFamily) {
  Registry r;
  auto& runs = r.AddCounter("mlopsd_runs_total", "Runs that ended.", {"pipeline", "status"});
  r.AddGauge("mlopsd_queue", "Queued runs.").Get().Set(3);
  runs.With({"train", "succeeded"}).Inc();
  runs.With({"train", "succeeded"}).Inc(2);
  runs.With({"eval", "failed"}).Inc();
  r.AddGaugeFunc("mlopsd_answer", "Callback\nvalue \\ here.", [] { return 42.5; });
  EXPECT_EQ(r.Expose(),
            "# HELP mlopsd_answer Callback\\nvalue \\\\ here.\n"
            "# TYPE mlopsd_answer gauge\n"
            "mlopsd_answer 42.5\n"
            "# HELP mlopsd_queue Queued runs.\n"
            "# TYPE mlopsd_queue gauge\n"
            "mlopsd_queue 3\n"
            "# HELP mlopsd_runs_total Runs that ended.\n"
            "# TYPE mlopsd_runs_total counter\n"
            "mlopsd_runs_total{pipeline=\"eval\",status=\"failed\"} 1\n"
            "mlopsd_runs_total{pipeline=\"train\",status=\"succeeded\"} 3\n");
}

TEST(Registry, LabelledFamilyWithoutSeriesWritesOnlyHelpAndType) {
  Registry r;
  r.AddCounter("mlopsd_webhook_deliveries_total", "Deliveries.", {"result"});
  EXPECT_EQ(r.Expose(),
            "# HELP mlopsd_webhook_deliveries_total Deliveries.\n"
            "# TYPE mlopsd_webhook_deliveries_total counter\n");
}

TEST(Registry, UnlabelledCounterStartsAtZero) {
  Registry r;
  r.AddCounter("x_total", "X.");
  EXPECT_EQ(r.Expose(), "# HELP x_total X.\n# TYPE x_total counter\nx_total 0\n");
}

TEST(Registry, EscapesHostileLabelValuesInTheExposition) {
  Registry r;
  r.AddGauge("g", "G.", {"name"}).With({"q\"b\\n\nl \xE2\x9C\x93"}).Set(1);
  EXPECT_EQ(r.Expose(), "# HELP g G.\n# TYPE g gauge\ng{name=\"q\\\"b\\\\n\\nl \xE2\x9C\x93\"} 1\n");
}

TEST(Histogram, CountsCumulativeBucketsWithInclusiveUpperBounds) {
  Registry r;
  auto& h = r.AddHistogram("d_seconds", "D.", {"op"}, {0.1, 1, 10});
  auto& s = h.With({"get"});
  for (double v : {0.05, 0.1, 0.5, 1.0, 5.0, 100.0}) s.Observe(v);
  EXPECT_EQ(r.Expose(),
            "# HELP d_seconds D.\n"
            "# TYPE d_seconds histogram\n"
            "d_seconds_bucket{op=\"get\",le=\"0.1\"} 2\n"
            "d_seconds_bucket{op=\"get\",le=\"1\"} 4\n"
            "d_seconds_bucket{op=\"get\",le=\"10\"} 5\n"
            "d_seconds_bucket{op=\"get\",le=\"+Inf\"} 6\n"
            "d_seconds_sum{op=\"get\"} 106.65\n"
            "d_seconds_count{op=\"get\"} 6\n");
}

TEST(Histogram, UnlabelledHistogramHasOnlyTheLeLabel) {
  Registry r;
  r.AddHistogram("h_seconds", "H.", {}, {1}).Get().Observe(2);
  EXPECT_EQ(r.Expose(),
            "# HELP h_seconds H.\n# TYPE h_seconds histogram\n"
            "h_seconds_bucket{le=\"1\"} 0\nh_seconds_bucket{le=\"+Inf\"} 1\n"
            "h_seconds_sum 2\nh_seconds_count 1\n");
}

TEST(Counter, IgnoresNegativeAndNanIncrements) {
  Counter c;
  c.Inc(2);
  c.Inc(-1);
  c.Inc(std::nan(""));
  EXPECT_EQ(c.Value(), 2);
}

TEST(Family, FoldsLabelSetsBeyondTheCapIntoOneOtherSeries) {
  Registry r;
  r.set_max_series(3);
  auto& f = r.AddCounter("c_total", "C.", {"route"});
  for (int i = 0; i < 100; ++i) f.With({"/path/" + std::to_string(i)}).Inc();
  EXPECT_EQ(f.series_count(), 4u);  // three real series and "other"
  EXPECT_EQ(f.With({"other"}).Value(), 97);
  EXPECT_EQ(f.With({"/path/0"}).Value(), 1);
}

TEST(Family, ReturnsTheSameSeriesForTheSameLabels) {
  Registry r;
  auto& f = r.AddGauge("g", "G.", {"a"});
  EXPECT_EQ(&f.With({"x"}), &f.With({"x"}));
  EXPECT_NE(&f.With({"x"}), &f.With({"y"}));
}

TEST(Concurrency, IncrementsFromManyThreadsAreAllCounted) {
  Registry r;
  auto& counter = r.AddCounter("c_total", "C.", {"k"});
  auto& hist = r.AddHistogram("h_seconds", "H.", {"k"}, {0.5});
  constexpr int kThreads = 8, kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        counter.With({t % 2 ? "odd" : "even"}).Inc();
        hist.With({"all"}).Observe(i % 2 ? 1.0 : 0.25);
        if (i % 5000 == 0) (void)r.Expose();  // scrapes race the updates
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(counter.With({"odd"}).Value() + counter.With({"even"}).Value(), kThreads * kEach);
  const Histogram::Snapshot s = hist.With({"all"}).Read();
  EXPECT_EQ(s.count, static_cast<uint64_t>(kThreads * kEach));
  EXPECT_EQ(s.cumulative[0], static_cast<uint64_t>(kThreads * kEach / 2));
  EXPECT_DOUBLE_EQ(s.sum, kThreads * (kEach / 2) * 1.25);
}

using RegistryDeathTest = ::testing::Test;

TEST(RegistryDeathTest, RefusesMisuseAtDeclaration) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH({ Registry r; r.AddCounter("runs", "no _total"); }, "must end in _total");
  EXPECT_DEATH({ Registry r; r.AddGauge("up_total", "g"); }, "must not end in _total");
  EXPECT_DEATH({ Registry r; r.AddGauge("a-b", "g"); }, "invalid metric name");
  EXPECT_DEATH({ Registry r; r.AddGauge("g", "g", {"__x"}); }, "invalid label name");
  EXPECT_DEATH({ Registry r; r.AddHistogram("h", "h", {"le"}, {1}); }, "label 'le'");
  EXPECT_DEATH({ Registry r; r.AddHistogram("h", "h", {}, {2, 1}); }, "strictly increasing");
  EXPECT_DEATH({ Registry r; r.AddGauge("g", "g"); r.AddGauge("g", "g"); }, "declared twice");
  EXPECT_DEATH({ Registry r; r.AddGauge("g", "g", {"a", "b"}).With({"x"}); },
               "takes 2 label value");
}

}  // namespace
}  // namespace mlops::metrics
