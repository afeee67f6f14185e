// RunSearch: determinism for a seed (also in parallel), grid order and cap,
// failures, best selection, progress order and cancel.
#include "search/search.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "fake_objectives.h"

namespace mlops::ml {
namespace {

SearchSpace Bowl() {
  SearchSpace s;
  EXPECT_TRUE(ParseSearchSpace(testing::BowlSpace(), &s).ok());
  return s;
}

SearchResult Search(const SearchSpace& space, const SearchOptions& o, const Objective& f = testing::Bowl,
                 const SearchHooks& hooks = {}) {
  SearchResult r;
  Status s = RunSearch(space, o, f, hooks, &r);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return r;
}

std::string Fingerprint(const SearchResult& r) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& t : r.trials) {
    nlohmann::json tj = ToJson(t);
    tj.erase("seconds");
    j.push_back(tj);
  }
  return j.dump();
}

TEST(SearchTest, SameSeedSameTrials) {
  const SearchSpace space = Bowl();
  for (Strategy strategy : {Strategy::kRandom, Strategy::kTpe}) {
    for (int parallel : {1, 2, 3}) {
      SearchOptions o;
      o.strategy = strategy;
      o.trials = 25;
      o.parallel = parallel;
      o.seed = 11;
      o.pruner.kind = PrunerKind::kNone;
      const SearchResult a = Search(space, o);
      const SearchResult b = Search(space, o);
      ASSERT_EQ(a.trials.size(), 25u);
      EXPECT_EQ(Fingerprint(a), Fingerprint(b)) << ToString(strategy) << " parallel " << parallel;
      EXPECT_EQ(a.best, b.best);
      o.seed = 12;
      EXPECT_NE(Fingerprint(a), Fingerprint(Search(space, o)));
    }
  }
}

TEST(SearchTest, SameSeedSameTrialsWithPruningInParallel) {
  SearchSpace space;
  ASSERT_TRUE(ParseSearchSpace({{"q", "uniform(0, 1)"}}, &space).ok());
  SearchOptions o;
  o.strategy = Strategy::kTpe;
  o.trials = 24;
  o.parallel = 2;
  o.pruner.kind = PrunerKind::kAsha;
  // Trials of one batch finish in a different order each run.
  const Objective jittery = [](const ParamValues& p, TrialContext& c) {
    std::this_thread::sleep_for(std::chrono::microseconds(c.number() % 2 == 0 ? 300 : 10));
    return testing::Curve(p, c, 9);
  };
  const std::string first = Fingerprint(Search(space, o, jittery));
  EXPECT_EQ(first, Fingerprint(Search(space, o, jittery)));
  EXPECT_NE(first.find("\"pruned\""), std::string::npos);
}

TEST(SearchTest, GridRunsTheWholeGridInOrderAndTrialsCapsIt) {
  SearchSpace space;
  ASSERT_TRUE(ParseSearchSpace({{"a", "choice(x, y)"}, {"b", "int(1, 3)"}, {"c", 5}}, &space).ok());
  SearchOptions o;
  o.strategy = Strategy::kGrid;
  o.parallel = 2;
  const Objective f = [](const ParamValues& p, TrialContext&) {
    return TrialOutcome::Value(p["b"].get<double>() + (p["a"] == "y" ? 10 : 0));
  };
  EXPECT_EQ(PlannedTrials(space, o), 6);
  SearchResult r = Search(space, o, f);
  ASSERT_EQ(r.trials.size(), 6u);
  EXPECT_EQ(r.trials[0].params, nlohmann::json({{"a", "x"}, {"b", 1}, {"c", 5}}));
  EXPECT_EQ(r.trials[5].params, nlohmann::json({{"a", "y"}, {"b", 3}, {"c", 5}}));
  EXPECT_EQ(r.best, 5);
  o.direction = Direction::kMinimize;
  o.trials = 4;
  r = Search(space, o, f);
  ASSERT_EQ(r.trials.size(), 4u);
  EXPECT_EQ(r.trials[3].params["a"], "y");
  EXPECT_EQ(r.best, 0);
  o.trials = 100;
  EXPECT_EQ(Search(space, o, f).trials.size(), 6u);
}

TEST(SearchTest, AHugeGridNeedsTrials) {
  SearchSpace space;
  nlohmann::json j;
  for (int i = 0; i < 12; ++i) j["p" + std::to_string(i)] = "uniform(0, 1)";
  ASSERT_TRUE(ParseSearchSpace(j, &space).ok());
  SearchOptions o;
  o.strategy = Strategy::kGrid;
  SearchResult r;
  EXPECT_TRUE(RunSearch(space, o, testing::Bowl, {}, &r).IsInvalidArgument());
}

TEST(SearchTest, FailedTrialsAreRecordedAndNeverBest) {
  SearchSpace space;
  ASSERT_TRUE(ParseSearchSpace({{"x", "uniform(0, 1)"}}, &space).ok());
  SearchOptions o;
  o.strategy = Strategy::kRandom;
  o.trials = 12;
  o.parallel = 3;
  const Objective f = [](const ParamValues& p, TrialContext& c) -> TrialOutcome {
    if (c.number() % 3 == 0) throw std::runtime_error("boom");
    if (c.number() % 3 == 1) return TrialOutcome::Failed("diverged");
    return TrialOutcome::Value(p["x"].get<double>());
  };
  std::vector<int> order;
  SearchHooks hooks;
  hooks.on_trial = [&](const Trial& t, int done, int planned) {
    order.push_back(t.number);
    EXPECT_EQ(done, t.number + 1);
    EXPECT_EQ(planned, 12);
  };
  const SearchResult r = Search(space, o, f, hooks);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(r.trials[0].status, TrialStatus::kFailed);
  EXPECT_EQ(r.trials[0].error, "exception: boom");
  EXPECT_EQ(r.trials[1].error, "diverged");
  EXPECT_EQ(r.trials[2].status, TrialStatus::kCompleted);
  ASSERT_GE(r.best, 0);
  EXPECT_EQ(r.best % 3, 2);
  EXPECT_FALSE(r.cancelled);
}

TEST(SearchTest, CancelStopsRunningTrialsQuickly) {
  SearchSpace space;
  ASSERT_TRUE(ParseSearchSpace({{"q", "uniform(0.5, 1)"}}, &space).ok());
  for (int parallel : {1, 2}) {
    std::atomic<bool> cancel{false};
    // Each trial would take 10 s; the search is cancelled after 50 ms.
    const Objective slow = [&](const ParamValues&, TrialContext& c) {
      for (int s = 1; s <= 10000; ++s) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        if (c.Report(s, 0.5)) return TrialOutcome{};
      }
      return TrialOutcome::Value(1);
    };
    SearchOptions o;
    o.strategy = Strategy::kRandom;
    o.trials = 10;
    o.parallel = parallel;
    SearchHooks hooks;
    hooks.cancelled = [&] { return cancel.load(); };
    const auto start = std::chrono::steady_clock::now();
    std::thread canceller([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      cancel = true;
    });
    const SearchResult r = Search(space, o, slow, hooks);
    canceller.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_TRUE(r.cancelled);
    // Far below one trial's 10 s, far above any load delay; the counts below
    // are the precise check.
    EXPECT_LT(seconds, 8.0);
    ASSERT_GE(r.trials.size(), 1u);
    ASSERT_LE(r.trials.size(), static_cast<size_t>(parallel));
    for (const auto& t : r.trials) {
      EXPECT_EQ(t.status, TrialStatus::kCancelled);
      EXPECT_LT(t.intermediate.size(), 1000u);
    }
    EXPECT_EQ(r.best, -1);
  }
}

}  // namespace
}  // namespace mlops::ml
