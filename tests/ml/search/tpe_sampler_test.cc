// TPE: random for the startup trials, then better than random search on a
// known function for the same budget, on average over seeds.
#include "search/tpe_sampler.h"

#include <gtest/gtest.h>

#include "fake_objectives.h"
#include "search/search.h"

namespace mlops::ml {
namespace {

double BestOf(Strategy strategy, uint64_t seed, int trials, int parallel) {
  SearchSpace space;
  EXPECT_TRUE(ParseSearchSpace(testing::BowlSpace(), &space).ok());
  SearchOptions o;
  o.strategy = strategy;
  o.trials = trials;
  o.parallel = parallel;
  o.seed = seed;
  SearchResult r;
  EXPECT_TRUE(RunSearch(space, o, testing::Bowl, {}, &r).ok());
  EXPECT_GE(r.best, 0);
  return r.trials[static_cast<size_t>(r.best)].value;
}

TEST(TpeSamplerTest, StartupTrialsAreRandom) {
  SearchSpace space;
  ASSERT_TRUE(ParseSearchSpace(testing::BowlSpace(), &space).ok());
  const TpeSampler tpe(space, TpeOptions{}, Direction::kMaximize);
  EXPECT_EQ(tpe.startup(), 8);  // 2 * 4 dimensions
  std::vector<Trial> history(7);
  for (auto& t : history) t.value = 1;
  Rng a(5), b(5);
  EXPECT_EQ(tpe.Suggest(7, history, a), RandomSampler(space).Suggest(7, history, b));
  EXPECT_EQ(TpeSampler(space, TpeOptions{.n_startup = 0, .gamma = 0.25, .candidates = 24}, Direction::kMaximize)
                .startup(),
            8);
  SearchSpace one;
  ASSERT_TRUE(ParseSearchSpace({{"x", "uniform(0, 1)"}}, &one).ok());
  EXPECT_EQ(TpeSampler(one, TpeOptions{}, Direction::kMaximize).startup(), 5);
}

TEST(TpeSamplerTest, SuggestionsStayInsideTheSpace) {
  SearchSpace space;
  ASSERT_TRUE(ParseSearchSpace({{"i", "int(-2, 3)"}, {"c", "choice(a, b, c)"}, {"l", "loguniform(1e-3, 1)"}}, &space).ok());
  std::vector<Trial> history;
  Rng rng(3);
  const TpeSampler tpe(space, TpeOptions{.n_startup = 5, .gamma = 0.25, .candidates = 24}, Direction::kMinimize);
  for (int n = 0; n < 60; ++n) {
    Trial t;
    t.number = n;
    t.x = tpe.Suggest(n, history, rng);
    t.params = space.ParamsAt(t.x);
    const auto i = t.params["i"].get<int64_t>();
    EXPECT_TRUE(i >= -2 && i <= 3) << t.params.dump();
    EXPECT_TRUE(t.params["l"].get<double>() >= 1e-3 && t.params["l"].get<double>() <= 1) << t.params.dump();
    t.value = std::fabs(i - 1.0) + (t.params["c"] == "b" ? 0 : 1);
    history.push_back(t);
  }
  // It learnt: the last 20 suggestions are mostly at the optimum.
  int at_optimum = 0;
  for (int n = 40; n < 60; ++n) at_optimum += history[n].value == 0 ? 1 : 0;
  EXPECT_GE(at_optimum, 10);
}

TEST(TpeSamplerTest, BeatsRandomSearchOnAverage) {
  constexpr int kSeeds = 20, kTrials = 40;
  double tpe = 0, random = 0;
  int tpe_wins = 0;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    const double t = BestOf(Strategy::kTpe, seed, kTrials, 1);
    const double r = BestOf(Strategy::kRandom, seed, kTrials, 1);
    tpe += t / kSeeds;
    random += r / kSeeds;
    tpe_wins += t > r ? 1 : 0;
  }
  std::printf("mean best over %d seeds, %d trials: tpe %.4f, random %.4f, tpe better in %d\n", kSeeds, kTrials, tpe,
              random, tpe_wins);
  EXPECT_GT(tpe, random);
  EXPECT_GE(tpe_wins, kSeeds / 2);
}

TEST(TpeSamplerTest, StillLearnsInParallelBatches) {
  constexpr int kSeeds = 10, kTrials = 40;
  double tpe = 0, random = 0;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    tpe += BestOf(Strategy::kTpe, seed, kTrials, 4) / kSeeds;
    random += BestOf(Strategy::kRandom, seed, kTrials, 4) / kSeeds;
  }
  EXPECT_GT(tpe, random);
}

}  // namespace
}  // namespace mlops::ml
