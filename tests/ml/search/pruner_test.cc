// ASHA and median pruning: decisions against hand-made histories, and in a
// search, a clearly bad trial stops early while the best never does.
#include "search/asha_pruner.h"
#include "search/median_pruner.h"

#include <gtest/gtest.h>

#include "fake_objectives.h"
#include "search/search.h"

namespace mlops::ml {
namespace {

// An earlier trial that reported `values` at steps 1, 2, 3, ...
Trial Earlier(std::vector<double> values) {
  Trial t;
  t.status = TrialStatus::kCompleted;
  for (size_t i = 0; i < values.size(); ++i) t.intermediate.push_back({static_cast<int64_t>(i + 1), values[i]});
  t.value = values.back();
  return t;
}

std::vector<Intermediate> Own(std::vector<double> values) {
  std::vector<Intermediate> own;
  for (size_t i = 0; i < values.size(); ++i) own.push_back({static_cast<int64_t>(i + 1), values[i]});
  return own;
}

TEST(AshaPrunerTest, KeepsTheTopThirdAtARung) {
  const AshaPruner asha(1, 3, Direction::kMaximize);
  std::vector<Trial> earlier;
  for (double v : {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8}) earlier.push_back(Earlier({v}));
  // Nine values at rung 1: the best three continue.
  EXPECT_TRUE(asha.ShouldPrune(earlier, Own({0.5})));
  EXPECT_TRUE(asha.ShouldPrune(earlier, Own({0.55})));
  EXPECT_FALSE(asha.ShouldPrune(earlier, Own({0.7})));
  EXPECT_FALSE(asha.ShouldPrune(earlier, Own({0.9})));
  // Between rungs (1, 3, 9) nothing is decided.
  EXPECT_FALSE(asha.ShouldPrune(earlier, Own({0.9, 0.0})));
  // The first trials: only a value at least as good as every other continues.
  EXPECT_FALSE(asha.ShouldPrune({}, Own({0.1})));
  EXPECT_TRUE(asha.ShouldPrune({Earlier({0.4})}, Own({0.3})));
  EXPECT_TRUE(asha.ShouldPrune({}, Own({NAN})));
}

TEST(AshaPrunerTest, MinimizeAndASkippedRung) {
  const AshaPruner asha(2, 2, Direction::kMinimize);  // rungs 2, 4, 8
  std::vector<Trial> earlier = {Earlier({9, 5, 9, 1}), Earlier({9, 6, 9, 2}), Earlier({9, 7, 9, 3})};
  EXPECT_FALSE(asha.ShouldPrune(earlier, Own({9, 5})));  // rung 2: {5, 6, 7, 5}, best 2 are 5 and 5
  EXPECT_TRUE(asha.ShouldPrune(earlier, Own({9, 6.5})));
  // Reporting only at step 4: the rung at 4 is judged on that value.
  EXPECT_TRUE(asha.ShouldPrune(earlier, {{1, 0.0}, {4, 2.5}}));
  EXPECT_FALSE(asha.ShouldPrune(earlier, {{1, 0.0}, {4, 1.5}}));
}

TEST(MedianPrunerTest, StopsBelowTheMedianAfterStartup) {
  const MedianPruner median(3, 2, Direction::kMaximize);
  const std::vector<Trial> three = {Earlier({0.5, 0.6, 0.7}), Earlier({0.4, 0.5, 0.6}), Earlier({0.3, 0.4, 0.5})};
  EXPECT_FALSE(median.ShouldPrune(three, Own({0.1})));             // step 1 < warmup
  EXPECT_TRUE(median.ShouldPrune(three, Own({0.1, 0.2})));         // median 0.5
  EXPECT_FALSE(median.ShouldPrune(three, Own({0.1, 0.5})));
  EXPECT_FALSE(median.ShouldPrune(three, Own({0.6, 0.2})));        // best so far counts
  EXPECT_FALSE(median.ShouldPrune({three[0], three[1]}, Own({0.1, 0.1})));  // two < startup
}

// Grid over q in the listed order: a bad trial comes after good ones.
SearchResult RunCurves(const PrunerOptions& pruner, const std::string& qs, int parallel, Strategy strategy,
                       uint64_t seed) {
  SearchSpace space;
  EXPECT_TRUE(ParseSearchSpace({{"q", qs}}, &space).ok());
  SearchOptions o;
  o.strategy = strategy;
  o.trials = strategy == Strategy::kGrid ? 0 : 30;
  o.parallel = parallel;
  o.seed = seed;
  o.pruner = pruner;
  SearchResult r;
  EXPECT_TRUE(RunSearch(space, o, [](const ParamValues& p, TrialContext& c) { return testing::Curve(p, c); }, {}, &r)
                  .ok());
  return r;
}

const Trial& WithQ(const SearchResult& r, double q) {
  for (const auto& t : r.trials) {
    if (t.params["q"] == q) return t;
  }
  ADD_FAILURE() << "no trial with q " << q;
  return r.trials.front();
}

TEST(PrunedSearchTest, AshaStopsABadTrialEarlyAndKeepsTheBest) {
  PrunerOptions asha;
  asha.kind = PrunerKind::kAsha;
  for (int parallel : {1, 2}) {
    const SearchResult r = RunCurves(asha, "choice(0.8, 0.9, 0.85, 0.1, 0.95, 0.5, 0.99)", parallel, Strategy::kGrid, 1);
    ASSERT_EQ(r.trials.size(), 7u);
    const Trial& bad = WithQ(r, 0.1);
    EXPECT_EQ(bad.status, TrialStatus::kPruned);
    EXPECT_LE(bad.intermediate.size(), 3u);
    const Trial& best = WithQ(r, 0.99);
    EXPECT_EQ(best.status, TrialStatus::kCompleted);
    EXPECT_EQ(best.intermediate.size(), 27u);
    ASSERT_GE(r.best, 0);
    EXPECT_EQ(r.trials[static_cast<size_t>(r.best)].params["q"], 0.99);
  }
}

TEST(PrunedSearchTest, MedianStopsABadTrialEarlyAndKeepsTheBest) {
  PrunerOptions median;
  median.kind = PrunerKind::kMedian;
  median.startup_trials = 3;
  const SearchResult r = RunCurves(median, "choice(0.8, 0.9, 0.85, 0.1, 0.95, 0.5, 0.99)", 1, Strategy::kGrid, 1);
  EXPECT_EQ(WithQ(r, 0.1).status, TrialStatus::kPruned);
  EXPECT_EQ(WithQ(r, 0.1).intermediate.size(), 1u);
  EXPECT_EQ(WithQ(r, 0.5).status, TrialStatus::kPruned);
  EXPECT_EQ(WithQ(r, 0.99).status, TrialStatus::kCompleted);
  EXPECT_EQ(WithQ(r, 0.95).status, TrialStatus::kCompleted);
}

TEST(PrunedSearchTest, NeverPrunesTheBestTrialWhateverTheOrder) {
  for (PrunerKind kind : {PrunerKind::kAsha, PrunerKind::kMedian}) {
    PrunerOptions p;
    p.kind = kind;
    p.startup_trials = 2;
    for (uint64_t seed = 0; seed < 20; ++seed) {
      const SearchResult r = RunCurves(p, "uniform(0, 1)", seed % 2 + 1, Strategy::kRandom, seed);
      size_t best = 0;
      int pruned = 0;
      for (size_t i = 0; i < r.trials.size(); ++i) {
        if (r.trials[i].params["q"].get<double>() > r.trials[best].params["q"].get<double>()) best = i;
        pruned += r.trials[i].status == TrialStatus::kPruned ? 1 : 0;
      }
      EXPECT_EQ(r.trials[best].status, TrialStatus::kCompleted) << "seed " << seed;
      EXPECT_EQ(r.best, static_cast<int>(best));
      EXPECT_GT(pruned, 5) << "seed " << seed;
    }
  }
}

}  // namespace
}  // namespace mlops::ml
