// Conformance, part three: the batched calls of the scheduler's hot path and
// the API (RecordFinishedAttempts, FindCachedOutputs, ListRunEdges,
// ListRunMetrics) and the run-level up-to-date fields.
#include <cmath>

#include "mlops/common/sha256.h"
#include "store_conformance.h"

namespace mlops::registry {
namespace {

// A cache hit of `stage` in `run`, consuming `in` and producing `out`.
AttemptResult CachedHit(int64_t run, const std::string& stage, const std::string& in,
                        const std::string& out) {
  AttemptResult r;
  r.attempt.run_id = run;
  r.attempt.stage = stage;
  r.attempt.plugin_name = "exec";
  r.attempt.status = AttemptStatus::kCached;
  r.attempt.cache_hit = true;
  r.attempt.exit_code = 0;
  r.attempt.reason = "cache hit";
  r.attempt.started_ms = r.attempt.finished_ms = 5000;
  for (const std::string* name : {&in, &out}) {
    r.artifacts.push_back(ArtifactRecord{Digest(*name), 1, "text/plain", 0});
  }
  r.edges.push_back(ArtifactEdge{0, Digest(in), EdgeKind::kConsumed, in});
  r.edges.push_back(ArtifactEdge{0, Digest(out), EdgeKind::kProduced, out});
  return r;
}

}  // namespace

TEST_P(StoreConformance, RunFingerprintAndResultsRunRoundTrip) {
  int64_t pid = AddPipeline("p");
  int64_t first = AddRun(pid, RunStatus::kSucceeded);
  RunRecord got;
  ASSERT_TRUE(store_->GetRun(first, &got).ok());
  EXPECT_EQ(got.fingerprint, "");
  EXPECT_EQ(got.results_run_id, 0);
  got.fingerprint = Digest("inputs v1");
  ASSERT_TRUE(store_->UpdateRun(got).ok());

  RunRecord up;
  up.pipeline_id = pid;
  up.trigger = "manual";
  up.status = RunStatus::kSucceeded;
  up.fingerprint = Digest("inputs v1");
  up.results_run_id = first;
  ASSERT_TRUE(store_->CreateRun(&up).ok());
  ASSERT_TRUE(store_->GetRun(up.id, &got).ok());
  EXPECT_EQ(got.fingerprint, Digest("inputs v1"));
  EXPECT_EQ(got.results_run_id, first);

  // UpdateRun replaces the fingerprint, never results_run_id.
  got.fingerprint.clear();
  got.results_run_id = 0;
  ASSERT_TRUE(store_->UpdateRun(got).ok());
  RunRecord again;
  ASSERT_TRUE(store_->GetRun(up.id, &again).ok());
  EXPECT_EQ(again.fingerprint, "");
  EXPECT_EQ(again.results_run_id, first);

  RunFilter f;
  f.pipeline = "p";
  f.status = {RunStatus::kSucceeded};
  f.limit = 1;
  std::vector<RunRecord> runs;
  ASSERT_TRUE(store_->ListRuns(f, &runs).ok());
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].id, up.id);
  EXPECT_EQ(runs[0].results_run_id, first);

  RunRecord dangling;
  dangling.pipeline_id = pid;
  dangling.results_run_id = 9999;
  EXPECT_TRUE(store_->CreateRun(&dangling).IsNotFound());
}

TEST_P(StoreConformance, RecordFinishedAttemptsWritesABatchAllOrNothing) {
  int64_t run = AddRun(AddPipeline("p"));
  std::vector<AttemptResult> batch = {CachedHit(run, "a", "data.csv", "a.out"),
                                      CachedHit(run, "b", "a.out", "b.out")};
  batch[1].metrics.push_back(MetricRecord{"loss", 0.5, 1, 7});
  batch[1].params.push_back(ParamRecord{"lr", "0.1"});
  Status st = store_->RecordFinishedAttempts(&batch);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_GT(batch[0].attempt.id, 0);
  EXPECT_GT(batch[1].attempt.id, batch[0].attempt.id);  // in order

  std::vector<StageAttemptRecord> attempts;
  ASSERT_TRUE(store_->ListAttempts(run, &attempts).ok());
  ASSERT_EQ(Stages(attempts), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(attempts[0].status, AttemptStatus::kCached);
  EXPECT_TRUE(attempts[0].cache_hit);
  EXPECT_EQ(attempts[0].reason, "cache hit");
  EXPECT_EQ(attempts[0].finished_ms, 5000);
  std::vector<ArtifactEdge> edges;
  ASSERT_TRUE(store_->ListEdges(batch[1].attempt.id, &edges).ok());
  ASSERT_EQ(edges.size(), 2u);
  EXPECT_EQ(edges[0].kind, EdgeKind::kConsumed);
  EXPECT_EQ(edges[0].name, "a.out");
  EXPECT_EQ(edges[0].attempt_id, batch[1].attempt.id);
  std::vector<MetricRecord> metrics;
  ASSERT_TRUE(store_->ListMetrics(batch[1].attempt.id, &metrics).ok());
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_EQ(metrics[0].key, "loss");
  std::vector<ParamRecord> params;
  ASSERT_TRUE(store_->ListParams(batch[1].attempt.id, &params).ok());
  ASSERT_EQ(params.size(), 1u);

  // A bad entry anywhere in the batch writes nothing.
  std::vector<AttemptResult> bad = {CachedHit(run, "c", "b.out", "c.out"),
                                    CachedHit(run, "d", "c.out", "d.out")};
  bad[1].artifacts.clear();  // d.out is then unknown
  bad[1].edges.push_back(ArtifactEdge{0, Digest("never stored"), EdgeKind::kProduced, "x"});
  EXPECT_TRUE(store_->RecordFinishedAttempts(&bad).IsInvalidArgument());
  EXPECT_EQ(bad[0].attempt.id, 0);
  ASSERT_TRUE(store_->ListAttempts(run, &attempts).ok());
  EXPECT_EQ(attempts.size(), 2u);
  ArtifactRecord art;
  EXPECT_TRUE(store_->GetArtifact(Digest("c.out"), &art).IsNotFound());

  std::vector<AttemptResult> unknown_run = {CachedHit(4242, "e", "x", "y")};
  EXPECT_TRUE(store_->RecordFinishedAttempts(&unknown_run).IsNotFound());
  std::vector<AttemptResult> numbered = {CachedHit(run, "f", "x", "y")};
  numbered[0].attempt.id = batch[0].attempt.id;
  EXPECT_TRUE(store_->RecordFinishedAttempts(&numbered).IsInvalidArgument());
  std::vector<AttemptResult> malformed = {CachedHit(run, "g", "x", "y")};
  malformed[0].artifacts[0].sha256 = "not-a-digest";
  EXPECT_TRUE(store_->RecordFinishedAttempts(&malformed).IsInvalidArgument());
  std::vector<AttemptResult> none;
  EXPECT_TRUE(store_->RecordFinishedAttempts(&none).ok());
}

TEST_P(StoreConformance, FindCachedOutputsBringsTheArtifactRecords) {
  int64_t run = AddRun(AddPipeline("p"));
  const std::string key = Digest("key");
  StageAttemptRecord found;
  std::vector<ArtifactEdge> produced;
  std::vector<ArtifactRecord> artifacts;
  EXPECT_TRUE(store_->FindCachedOutputs(key, &found, &produced, &artifacts).IsNotFound());
  EXPECT_TRUE(store_->FindCachedOutputs("", &found, &produced, &artifacts).IsNotFound());
  int64_t ok = AddAttempt(run, "train", key);
  FinishWith(ok, {"in"}, {"model", "metrics"});
  Status st = store_->FindCachedOutputs(key, &found, &produced, &artifacts);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(found.id, ok);
  ASSERT_EQ(produced.size(), 2u);
  ASSERT_EQ(artifacts.size(), 2u);
  for (size_t i = 0; i < produced.size(); ++i) {
    EXPECT_EQ(artifacts[i].sha256, produced[i].artifact_sha256);
    EXPECT_EQ(artifacts[i].size, static_cast<int64_t>(produced[i].name.size()));
    EXPECT_EQ(artifacts[i].media_type, "application/octet-stream");
  }
}

TEST_P(StoreConformance, ListRunEdgesAndMetricsCoverEveryAttemptOfTheRun) {
  int64_t pid = AddPipeline("p");
  int64_t run = AddRun(pid);
  int64_t other = AddRun(pid);
  int64_t a = AddAttempt(run, "a");
  FinishWith(a, {"data"}, {"a.out"});
  int64_t elsewhere = AddAttempt(other, "a");
  FinishWith(elsewhere, {"data"}, {"other.out"});
  int64_t b = AddAttempt(run, "b");
  AttemptResult r;
  ASSERT_TRUE(store_->GetAttempt(b, &r.attempt).ok());
  r.attempt.status = AttemptStatus::kSucceeded;
  r.edges.push_back(ArtifactEdge{0, Digest("a.out"), EdgeKind::kConsumed, "a.out"});
  r.metrics.push_back(MetricRecord{"acc", 0.9, 1, 10});
  r.metrics.push_back(MetricRecord{"acc", std::nan(""), 2, 11});
  ASSERT_TRUE(store_->FinishAttempt(r).ok());
  AddAttempt(run, "c");  // running: no edges yet

  std::vector<ArtifactEdge> edges;
  ASSERT_TRUE(store_->ListRunEdges(run, &edges).ok());
  ASSERT_EQ(edges.size(), 3u);
  EXPECT_EQ(edges[0].attempt_id, a);
  EXPECT_EQ(edges[0].kind, EdgeKind::kConsumed);
  EXPECT_EQ(edges[1].attempt_id, a);
  EXPECT_EQ(edges[1].name, "a.out");
  EXPECT_EQ(edges[1].kind, EdgeKind::kProduced);
  EXPECT_EQ(edges[2].attempt_id, b);

  std::vector<std::pair<int64_t, MetricRecord>> metrics;
  ASSERT_TRUE(store_->ListRunMetrics(run, &metrics).ok());
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_EQ(metrics[0].first, b);
  EXPECT_EQ(metrics[0].second.value, 0.9);
  EXPECT_EQ(metrics[1].second.step, 2);
  EXPECT_TRUE(std::isnan(metrics[1].second.value));

  ASSERT_TRUE(store_->ListRunMetrics(other, &metrics).ok());
  EXPECT_TRUE(metrics.empty());
  EXPECT_TRUE(store_->ListRunEdges(4242, &edges).IsNotFound());
  EXPECT_TRUE(store_->ListRunMetrics(4242, &metrics).IsNotFound());
}

}  // namespace mlops::registry

namespace mlops::registry {
namespace {

// The end of attempt `id` of `run`: succeeded, producing `out`.
AttemptResult Ended(int64_t run, int64_t id, const std::string& out) {
  AttemptResult r;
  r.attempt.id = id;
  r.attempt.run_id = run;
  r.attempt.status = AttemptStatus::kSucceeded;
  r.attempt.exit_code = 0;
  r.attempt.finished_ms = 7000;
  r.artifacts.push_back(ArtifactRecord{Digest(out), 1, "text/plain", 0});
  r.edges.push_back(ArtifactEdge{id, Digest(out), EdgeKind::kProduced, out});
  r.metrics.push_back(MetricRecord{"loss", 0.5, 1, 7000});
  return r;
}

StageAttemptRecord NextAttempt(int64_t run, const std::string& stage) {
  StageAttemptRecord next;
  next.run_id = run;
  next.stage = stage;
  next.attempt = 1;
  next.plugin_name = "exec";
  next.status = AttemptStatus::kRunning;
  next.started_ms = 7001;
  return next;
}

}  // namespace

TEST_P(StoreConformance, FinishAttemptsThenCreateEndsAndStartsInOneStep) {
  int64_t run = AddRun(AddPipeline("p"));
  int64_t a = AddAttempt(run, "a"), b = AddAttempt(run, "b");
  StageAttemptRecord next = NextAttempt(run, "c");
  ASSERT_TRUE(store_->FinishAttemptsThenCreate({Ended(run, a, "a.out"), Ended(run, b, "b.out")},
                                               &next)
                  .ok());
  ASSERT_GT(next.id, b);
  std::vector<StageAttemptRecord> attempts;
  ASSERT_TRUE(store_->ListAttempts(run, &attempts).ok());
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[0].status, AttemptStatus::kSucceeded);
  EXPECT_EQ(attempts[0].finished_ms, 7000);
  EXPECT_EQ(attempts[1].status, AttemptStatus::kSucceeded);
  EXPECT_EQ(attempts[2].id, next.id);
  EXPECT_EQ(attempts[2].stage, "c");
  EXPECT_EQ(attempts[2].status, AttemptStatus::kRunning);
  std::vector<ArtifactEdge> edges;
  ASSERT_TRUE(store_->ListEdges(b, &edges).ok());
  ASSERT_EQ(edges.size(), 1u);
  EXPECT_EQ(edges[0].name, "b.out");
  std::vector<MetricRecord> metrics;
  ASSERT_TRUE(store_->ListMetrics(a, &metrics).ok());
  EXPECT_EQ(metrics.size(), 1u);

  // Only ends, no next attempt.
  int64_t d = AddAttempt(run, "d");
  ASSERT_TRUE(store_->FinishAttemptsThenCreate({Ended(run, d, "d.out")}, nullptr).ok());
  StageAttemptRecord got;
  ASSERT_TRUE(store_->GetAttempt(d, &got).ok());
  EXPECT_EQ(got.status, AttemptStatus::kSucceeded);
}

TEST_P(StoreConformance, FinishAttemptsThenCreateWritesNothingOnAnError) {
  int64_t run = AddRun(AddPipeline("p"));
  int64_t a = AddAttempt(run, "a");
  auto unchanged = [&] {
    StageAttemptRecord got;
    EXPECT_TRUE(store_->GetAttempt(a, &got).ok());
    EXPECT_EQ(got.status, AttemptStatus::kRunning);
    std::vector<StageAttemptRecord> attempts;
    EXPECT_TRUE(store_->ListAttempts(run, &attempts).ok());
    EXPECT_EQ(attempts.size(), 1u);
    std::vector<ArtifactEdge> edges;
    EXPECT_TRUE(store_->ListEdges(a, &edges).ok());
    EXPECT_TRUE(edges.empty());
  };
  // An ended attempt that does not exist.
  StageAttemptRecord next = NextAttempt(run, "b");
  EXPECT_TRUE(
      store_->FinishAttemptsThenCreate({Ended(run, a, "a.out"), Ended(run, 9999, "x")}, &next)
          .IsNotFound());
  EXPECT_EQ(next.id, 0);
  unchanged();
  // A next attempt of a run that does not exist.
  StageAttemptRecord orphan = NextAttempt(9999, "b");
  EXPECT_TRUE(store_->FinishAttemptsThenCreate({Ended(run, a, "a.out")}, &orphan).IsNotFound());
  EXPECT_EQ(orphan.id, 0);
  unchanged();
  // An edge naming an artifact that is neither stored nor in the result.
  AttemptResult bad = Ended(run, a, "a.out");
  bad.edges.push_back(ArtifactEdge{a, Digest("nowhere"), EdgeKind::kConsumed, "nowhere"});
  EXPECT_TRUE(store_->FinishAttemptsThenCreate({bad}, nullptr).IsInvalidArgument());
  unchanged();
}

}  // namespace mlops::registry
