// Conformance, part two: the cache lookup, lineage, crash recovery and
// concurrent use.
#include <algorithm>
#include <set>
#include <thread>

#include "mlops/common/sha256.h"
#include "store_conformance.h"

namespace mlops::registry {

TEST_P(StoreConformance, CacheLookupFindsOnlyTheNewestRealSuccess) {
  int64_t run = AddRun(AddPipeline("p"));
  const std::string key = Digest("cache key");
  StageAttemptRecord found;
  std::vector<ArtifactEdge> produced;
  EXPECT_TRUE(store_->FindCachedAttempt(key, &found, &produced).IsNotFound());

  int64_t old_ok = AddAttempt(run, "train", key);
  FinishWith(old_ok, {"in-old"}, {"model-old"});
  int64_t new_ok = AddAttempt(run, "train", key);
  FinishWith(new_ok, {"in"}, {"model", "metrics"});
  // Newer attempts that must never be served from the cache.
  int64_t failed = AddAttempt(run, "train", key);
  FinishWith(failed, {"in"}, {"partial"}, AttemptStatus::kFailed);
  AddAttempt(run, "train", key);  // still running
  StageAttemptRecord cached;
  cached.run_id = run;
  cached.stage = "train";
  cached.cache_key = key;
  cached.status = AttemptStatus::kCached;
  cached.cache_hit = true;
  ASSERT_TRUE(store_->CreateAttempt(&cached).ok());
  int64_t hit_marked_succeeded = AddAttempt(run, "train", key);
  AttemptResult hit;
  hit.attempt.id = hit_marked_succeeded;
  hit.attempt.status = AttemptStatus::kSucceeded;
  hit.attempt.cache_hit = true;
  ASSERT_TRUE(store_->FinishAttempt(hit).ok());

  Status st = store_->FindCachedAttempt(key, &found, &produced);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(found.id, new_ok);
  EXPECT_EQ(found.status, AttemptStatus::kSucceeded);
  ASSERT_EQ(produced.size(), 2u);  // produced only, by name
  EXPECT_EQ(produced[0].name, "metrics");
  EXPECT_EQ(produced[1].name, "model");
  EXPECT_EQ(produced[1].artifact_sha256, Digest("model"));
  for (const ArtifactEdge& e : produced) EXPECT_EQ(e.kind, EdgeKind::kProduced);

  EXPECT_TRUE(store_->FindCachedAttempt(Digest("other key"), &found, &produced).IsNotFound());
  int64_t keyless = AddAttempt(run, "x", "");
  FinishWith(keyless, {}, {"y"});
  EXPECT_TRUE(store_->FindCachedAttempt("", &found, &produced).IsNotFound());
}

// data.csv -> prepare -> features.csv -> train -> model.pt (+ metrics.json)
//   -> quantize (run 2) -> model.q; and data.csv -> stats -> stats.json.
TEST_P(StoreConformance, LineageWalksEveryHopInBothDirections) {
  int64_t p = AddPipeline("p");
  int64_t run1 = AddRun(p);
  int64_t run2 = AddRun(p);
  int64_t unrelated_run = AddRun(p);
  int64_t prepare = AddAttempt(run1, "prepare");
  FinishWith(prepare, {"data.csv"}, {"features.csv"});
  int64_t train = AddAttempt(run1, "train");
  FinishWith(train, {"features.csv"}, {"model.pt", "metrics.json"});
  int64_t quantize = AddAttempt(run2, "quantize");
  FinishWith(quantize, {"model.pt"}, {"model.q"});
  int64_t stats = AddAttempt(run2, "stats");
  FinishWith(stats, {"data.csv"}, {"stats.json"});
  int64_t other = AddAttempt(unrelated_run, "other");
  FinishWith(other, {"elsewhere.csv"}, {"elsewhere.out"});

  LineageGraph up;
  ASSERT_TRUE(store_->LineageUpstream(Digest("model.q"), &up).ok());
  EXPECT_EQ(Stages(up.attempts), (std::vector<std::string>{"prepare", "train", "quantize"}));
  EXPECT_EQ(Shas(up.artifacts), (std::set<std::string>{Digest("data.csv"), Digest("features.csv"),
                                                       Digest("model.pt"), Digest("model.q")}));
  EXPECT_EQ(RunIds(up.runs), (std::vector<int64_t>{run1, run2}));
  EXPECT_EQ(up.edges.size(), 6u);  // 3 attempts x (consumed + produced on path)
  for (const ArtifactEdge& e : up.edges) EXPECT_NE(e.name, "metrics.json");
  EXPECT_TRUE(std::is_sorted(
      up.edges.begin(), up.edges.end(),
      [](const ArtifactEdge& a, const ArtifactEdge& b) { return a.attempt_id < b.attempt_id; }));

  LineageGraph down;
  ASSERT_TRUE(store_->LineageDownstream(Digest("data.csv"), &down).ok());
  EXPECT_EQ(Stages(down.attempts),
            (std::vector<std::string>{"prepare", "train", "quantize", "stats"}));
  EXPECT_EQ(Shas(down.artifacts), (std::set<std::string>{Digest("data.csv"), Digest("features.csv"),
                                                         Digest("model.pt"), Digest("metrics.json"),
                                                         Digest("model.q"), Digest("stats.json")}));
  EXPECT_EQ(RunIds(down.runs), (std::vector<int64_t>{run1, run2}));
  EXPECT_EQ(down.edges.size(), 9u);

  LineageGraph mid;
  ASSERT_TRUE(store_->LineageDownstream(Digest("model.pt"), &mid).ok());
  EXPECT_EQ(Stages(mid.attempts), (std::vector<std::string>{"quantize"}));
  EXPECT_EQ(RunIds(mid.runs), (std::vector<int64_t>{run2}));

  LineageGraph root;
  ASSERT_TRUE(store_->LineageUpstream(Digest("data.csv"), &root).ok());
  EXPECT_TRUE(root.attempts.empty());
  EXPECT_TRUE(root.runs.empty());
  ASSERT_EQ(root.artifacts.size(), 1u);
  EXPECT_EQ(root.artifacts[0].sha256, Digest("data.csv"));

  EXPECT_TRUE(store_->LineageUpstream(Digest("never stored"), &root).IsNotFound());
  EXPECT_TRUE(store_->LineageDownstream(Digest("never stored"), &root).IsNotFound());
}

TEST_P(StoreConformance, LineageVisitsSharedAncestorsOnceAndEndsOnCycles) {
  int64_t run = AddRun(AddPipeline("p"));
  // Diamond: src -> left, right -> join.
  FinishWith(AddAttempt(run, "left"), {"src"}, {"l"});
  FinishWith(AddAttempt(run, "right"), {"src"}, {"r"});
  FinishWith(AddAttempt(run, "join"), {"l", "r"}, {"joined"});
  LineageGraph up;
  ASSERT_TRUE(store_->LineageUpstream(Digest("joined"), &up).ok());
  EXPECT_EQ(Stages(up.attempts), (std::vector<std::string>{"left", "right", "join"}));
  EXPECT_EQ(up.artifacts.size(), 4u);
  EXPECT_EQ(up.runs.size(), 1u);

  // A cycle (x -> f -> y -> g -> x) cannot come from one DAG, but records
  // from different runs can form one; the walk must still end.
  FinishWith(AddAttempt(run, "f"), {"x"}, {"y"});
  FinishWith(AddAttempt(run, "g"), {"y"}, {"x"});
  LineageGraph cyc;
  ASSERT_TRUE(store_->LineageDownstream(Digest("x"), &cyc).ok());
  EXPECT_EQ(Stages(cyc.attempts), (std::vector<std::string>{"f", "g"}));
  EXPECT_EQ(cyc.artifacts.size(), 2u);
  ASSERT_TRUE(store_->LineageUpstream(Digest("x"), &cyc).ok());
  EXPECT_EQ(cyc.attempts.size(), 2u);
}

TEST_P(StoreConformance, InterruptUnfinishedMarksOnlyUnfinishedWork) {
  int64_t p = AddPipeline("p");
  int64_t done = AddRun(p, RunStatus::kSucceeded);
  int64_t running = AddRun(p, RunStatus::kRunning);
  int64_t queued = AddRun(p, RunStatus::kQueued);
  int64_t failed = AddRun(p, RunStatus::kFailed);
  int64_t finished_attempt = AddAttempt(running, "a");
  FinishWith(finished_attempt, {}, {"a.out"});
  int64_t open_attempt = AddAttempt(running, "b");
  // A running attempt left in a run already marked failed still counts.
  int64_t stray = AddAttempt(failed, "c");

  std::vector<int64_t> ids;
  ASSERT_TRUE(store_->InterruptUnfinished(9999, &ids).ok());
  EXPECT_EQ(ids, (std::vector<int64_t>{running, queued, failed}));

  RunRecord r;
  ASSERT_TRUE(store_->GetRun(done, &r).ok());
  EXPECT_EQ(r.status, RunStatus::kSucceeded);
  ASSERT_TRUE(store_->GetRun(running, &r).ok());
  EXPECT_EQ(r.status, RunStatus::kInterrupted);
  ASSERT_TRUE(store_->GetRun(queued, &r).ok());
  EXPECT_EQ(r.status, RunStatus::kInterrupted);
  ASSERT_TRUE(store_->GetRun(failed, &r).ok());
  EXPECT_EQ(r.status, RunStatus::kFailed);

  StageAttemptRecord a;
  ASSERT_TRUE(store_->GetAttempt(finished_attempt, &a).ok());
  EXPECT_EQ(a.status, AttemptStatus::kSucceeded);
  EXPECT_EQ(a.finished_ms, 3000);
  ASSERT_TRUE(store_->GetAttempt(open_attempt, &a).ok());
  EXPECT_EQ(a.status, AttemptStatus::kInterrupted);
  EXPECT_EQ(a.finished_ms, 9999);
  ASSERT_TRUE(store_->GetAttempt(stray, &a).ok());
  EXPECT_EQ(a.status, AttemptStatus::kInterrupted);

  ASSERT_TRUE(store_->InterruptUnfinished(10000, &ids).ok());
  EXPECT_TRUE(ids.empty());
}

TEST_P(StoreConformance, ConcurrentWritersEachGetTheirOwnRecords) {
  int64_t p = AddPipeline("p");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::vector<int64_t>> attempt_ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        RunRecord run;
        run.pipeline_id = p;
        if (!store_->CreateRun(&run).ok()) return;
        StageAttemptRecord a;
        a.run_id = run.id;
        a.stage = "s";
        if (!store_->CreateAttempt(&a).ok()) return;
        AttemptResult r;
        r.attempt.id = a.id;
        r.attempt.status = AttemptStatus::kSucceeded;
        std::string name = std::to_string(t) + "/" + std::to_string(i);
        r.artifacts = {{Sha256Hex(name), 1, "", 0}};
        r.edges = {{0, Sha256Hex(name), EdgeKind::kProduced, name}};
        if (!store_->FinishAttempt(r).ok()) return;
        attempt_ids[t].push_back(a.id);
      }
    });
  }
  for (std::thread& t : threads) t.join();

  std::set<int64_t> unique;
  for (const auto& ids : attempt_ids) {
    EXPECT_EQ(ids.size(), static_cast<size_t>(kPerThread));
    unique.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(unique.size(), static_cast<size_t>(kThreads * kPerThread));
  std::vector<RunRecord> runs;
  RunFilter all;
  all.limit = 0;
  ASSERT_TRUE(store_->ListRuns(all, &runs).ok());
  EXPECT_EQ(runs.size(), static_cast<size_t>(kThreads * kPerThread));
  for (int64_t id : unique) {
    std::vector<ArtifactEdge> edges;
    ASSERT_TRUE(store_->ListEdges(id, &edges).ok());
    EXPECT_EQ(edges.size(), 1u);
  }
}

}  // namespace mlops::registry
