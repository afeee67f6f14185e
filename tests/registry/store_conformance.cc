#include "store_conformance.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <thread>

#include "mlops/common/sha256.h"

namespace mlops::registry {

int64_t StoreConformance::AddPipeline(const std::string& name, const std::string& definition) {
  PipelineRecord p;
  p.name = name;
  p.definition = definition.empty() ? "def of " + name : definition;
  p.definition_sha256 = Sha256Hex(p.definition);
  p.source_dir = "/src/" + name;
  Status st = store_->UpsertPipeline(&p);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return p.id;
}

int64_t StoreConformance::AddRun(int64_t pipeline_id, RunStatus status) {
  RunRecord r;
  r.pipeline_id = pipeline_id;
  r.trigger = "manual";
  r.status = status;
  r.queued_ms = 1000;
  Status st = store_->CreateRun(&r);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return r.id;
}

int64_t StoreConformance::AddAttempt(int64_t run_id, const std::string& stage,
                                     const std::string& cache_key) {
  StageAttemptRecord a;
  a.run_id = run_id;
  a.stage = stage;
  a.plugin_name = "exec";
  a.cache_key = cache_key;
  a.started_ms = 2000;
  Status st = store_->CreateAttempt(&a);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return a.id;
}

void StoreConformance::FinishWith(int64_t attempt_id, const std::vector<std::string>& consumed,
                                  const std::vector<std::string>& produced, AttemptStatus status) {
  AttemptResult r;
  ASSERT_TRUE(store_->GetAttempt(attempt_id, &r.attempt).ok());
  r.attempt.status = status;
  r.attempt.exit_code = status == AttemptStatus::kSucceeded ? 0 : 1;
  r.attempt.finished_ms = 3000;
  for (const auto& [names, kind] :
       {std::pair{&consumed, EdgeKind::kConsumed}, std::pair{&produced, EdgeKind::kProduced}}) {
    for (const std::string& name : *names) {
      r.artifacts.push_back(ArtifactRecord{Digest(name), static_cast<int64_t>(name.size()),
                                           "application/octet-stream", 0});
      r.edges.push_back(ArtifactEdge{0, Digest(name), kind, name});
    }
  }
  Status st = store_->FinishAttempt(r);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

TEST_P(StoreConformance, UpsertPipelineIsIdempotent) {
  PipelineRecord a;
  a.name = "train";
  a.definition = "stages: {}";
  a.definition_sha256 = Sha256Hex(a.definition);
  a.source_dir = "/src";
  a.created_ms = 111;
  ASSERT_TRUE(store_->UpsertPipeline(&a).ok());
  EXPECT_GT(a.id, 0);

  PipelineRecord again = a;
  again.id = 0;
  again.created_ms = 999;
  ASSERT_TRUE(store_->UpsertPipeline(&again).ok());
  EXPECT_EQ(again.id, a.id);
  EXPECT_EQ(again.created_ms, 111);

  PipelineRecord got;
  ASSERT_TRUE(store_->GetPipeline(a.id, &got).ok());
  EXPECT_EQ(got.name, "train");
  EXPECT_EQ(got.definition, "stages: {}");
  EXPECT_EQ(got.definition_sha256, a.definition_sha256);
  EXPECT_EQ(got.source_dir, "/src");

  PipelineRecord undated;
  undated.name = "other";
  undated.definition_sha256 = Sha256Hex("x");
  ASSERT_TRUE(store_->UpsertPipeline(&undated).ok());
  EXPECT_GT(undated.created_ms, 0);
  EXPECT_NE(undated.id, a.id);
}

TEST_P(StoreConformance, PipelineNameResolvesToTheDefinitionUpsertedLast) {
  int64_t v1 = AddPipeline("p", "version one");
  int64_t v2 = AddPipeline("p", "version two");
  EXPECT_NE(v1, v2);
  PipelineRecord got;
  ASSERT_TRUE(store_->GetPipelineByName("p", &got).ok());
  EXPECT_EQ(got.id, v2);

  // Reverting the file makes the old definition current again.
  EXPECT_EQ(AddPipeline("p", "version one"), v1);
  ASSERT_TRUE(store_->GetPipelineByName("p", &got).ok());
  EXPECT_EQ(got.id, v1);
  EXPECT_EQ(got.definition, "version one");

  AddPipeline("a-first");
  std::vector<PipelineRecord> all;
  ASSERT_TRUE(store_->ListPipelines(&all).ok());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "a-first");
  EXPECT_EQ(all[1].name, "p");
  EXPECT_EQ(all[1].id, v1);
}

TEST_P(StoreConformance, MissingPipelinesAreNotFound) {
  PipelineRecord got;
  EXPECT_TRUE(store_->GetPipelineByName("nope", &got).IsNotFound());
  EXPECT_TRUE(store_->GetPipeline(12345, &got).IsNotFound());
  std::vector<PipelineRecord> all;
  ASSERT_TRUE(store_->ListPipelines(&all).ok());
  EXPECT_TRUE(all.empty());
}

TEST_P(StoreConformance, RunRoundTripAndUpdate) {
  int64_t pid = AddPipeline("p");
  RunRecord run;
  run.pipeline_id = pid;
  run.trigger = "git";
  run.reason = "commit abc changed train.py";
  run.commit = "abc123";
  run.force = true;
  run.status = RunStatus::kQueued;
  run.queued_ms = 10;
  ASSERT_TRUE(store_->CreateRun(&run).ok());
  EXPECT_EQ(run.pipeline_name, "p");

  RunRecord got;
  ASSERT_TRUE(store_->GetRun(run.id, &got).ok());
  EXPECT_EQ(got.pipeline_id, pid);
  EXPECT_EQ(got.pipeline_name, "p");
  EXPECT_EQ(got.trigger, "git");
  EXPECT_EQ(got.reason, "commit abc changed train.py");
  EXPECT_EQ(got.commit, "abc123");
  EXPECT_TRUE(got.force);
  EXPECT_EQ(got.status, RunStatus::kQueued);
  EXPECT_EQ(got.queued_ms, 10);

  got.status = RunStatus::kFailed;
  got.error = "stage train failed";
  got.started_ms = 20;
  got.finished_ms = 30;
  got.recovery_count = 2;
  got.trigger = "changed";  // not replaced by UpdateRun
  ASSERT_TRUE(store_->UpdateRun(got).ok());
  RunRecord again;
  ASSERT_TRUE(store_->GetRun(run.id, &again).ok());
  EXPECT_EQ(again.status, RunStatus::kFailed);
  EXPECT_EQ(again.error, "stage train failed");
  EXPECT_EQ(again.started_ms, 20);
  EXPECT_EQ(again.finished_ms, 30);
  EXPECT_EQ(again.recovery_count, 2);
  EXPECT_EQ(again.trigger, "git");
}

TEST_P(StoreConformance, RunsNeedAnExistingPipelineAndRun) {
  RunRecord run;
  run.pipeline_id = 777;
  EXPECT_TRUE(store_->CreateRun(&run).IsNotFound());
  run.id = 777;
  EXPECT_TRUE(store_->UpdateRun(run).IsNotFound());
  EXPECT_TRUE(store_->GetRun(777, &run).IsNotFound());
  std::vector<RunRecord> runs;
  ASSERT_TRUE(store_->ListRuns(RunFilter{}, &runs).ok());
  EXPECT_TRUE(runs.empty());
}

TEST_P(StoreConformance, ListRunsFiltersAndPages) {
  int64_t a = AddPipeline("a");
  int64_t b = AddPipeline("b");
  std::vector<int64_t> all;  // creation order
  all.push_back(AddRun(a, RunStatus::kSucceeded));
  all.push_back(AddRun(b, RunStatus::kFailed));
  all.push_back(AddRun(a, RunStatus::kFailed));
  all.push_back(AddRun(a, RunStatus::kRunning));
  all.push_back(AddRun(b, RunStatus::kSucceeded));
  all.push_back(AddRun(a, RunStatus::kQueued));
  all.push_back(AddRun(a, RunStatus::kSucceeded));
  // A second definition of "a" keeps its runs under the same name.
  int64_t a2 = AddPipeline("a", "a, edited");
  all.push_back(AddRun(a2, RunStatus::kCancelled));
  std::vector<int64_t> newest_first(all.rbegin(), all.rend());

  std::vector<RunRecord> runs;
  RunFilter f;
  f.limit = 0;
  ASSERT_TRUE(store_->ListRuns(f, &runs).ok());
  EXPECT_EQ(RunIds(runs), newest_first);

  f.limit = 3;
  ASSERT_TRUE(store_->ListRuns(f, &runs).ok());
  EXPECT_EQ(RunIds(runs), std::vector<int64_t>(newest_first.begin(), newest_first.begin() + 3));

  // Paging with before_id visits every run exactly once.
  std::vector<int64_t> paged;
  for (f.before_id = 0;;) {
    ASSERT_TRUE(store_->ListRuns(f, &runs).ok());
    if (runs.empty()) break;
    for (const RunRecord& r : runs) paged.push_back(r.id);
    f.before_id = runs.back().id;
  }
  EXPECT_EQ(paged, newest_first);

  RunFilter by_pipeline;
  by_pipeline.pipeline = "b";
  ASSERT_TRUE(store_->ListRuns(by_pipeline, &runs).ok());
  EXPECT_EQ(RunIds(runs), (std::vector<int64_t>{all[4], all[1]}));
  for (const RunRecord& r : runs) EXPECT_EQ(r.pipeline_name, "b");

  RunFilter by_status;
  by_status.status = {RunStatus::kFailed, RunStatus::kCancelled};
  ASSERT_TRUE(store_->ListRuns(by_status, &runs).ok());
  EXPECT_EQ(RunIds(runs), (std::vector<int64_t>{all[7], all[2], all[1]}));

  RunFilter combined;
  combined.pipeline = "a";
  combined.status = {RunStatus::kSucceeded};
  combined.before_id = all[6];
  ASSERT_TRUE(store_->ListRuns(combined, &runs).ok());
  EXPECT_EQ(RunIds(runs), (std::vector<int64_t>{all[0]}));

  RunFilter unknown;
  unknown.pipeline = "zzz";
  ASSERT_TRUE(store_->ListRuns(unknown, &runs).ok());
  EXPECT_TRUE(runs.empty());
}

TEST_P(StoreConformance, AttemptRoundTrip) {
  int64_t run = AddRun(AddPipeline("p"));
  StageAttemptRecord a;
  a.run_id = run;
  a.stage = "train";
  a.attempt = 2;
  a.plugin_name = "exec";
  a.plugin_version = "1.0.0";
  a.plugin_sha256 = Digest("plugin");
  a.params_json = R"({"lr":0.1})";
  a.cache_key = Digest("key");
  a.reason = "no cached result";
  a.log_path = "/logs/train.2.log";
  a.host = "box";
  a.started_ms = 42;
  ASSERT_TRUE(store_->CreateAttempt(&a).ok());
  int64_t second = AddAttempt(run, "eval");

  StageAttemptRecord got;
  ASSERT_TRUE(store_->GetAttempt(a.id, &got).ok());
  EXPECT_EQ(got.run_id, run);
  EXPECT_EQ(got.stage, "train");
  EXPECT_EQ(got.attempt, 2);
  EXPECT_EQ(got.plugin_name, "exec");
  EXPECT_EQ(got.plugin_version, "1.0.0");
  EXPECT_EQ(got.plugin_sha256, Digest("plugin"));
  EXPECT_EQ(got.params_json, R"({"lr":0.1})");
  EXPECT_EQ(got.cache_key, Digest("key"));
  EXPECT_EQ(got.status, AttemptStatus::kRunning);
  EXPECT_EQ(got.exit_code, -1);
  EXPECT_EQ(got.reason, "no cached result");
  EXPECT_EQ(got.log_path, "/logs/train.2.log");
  EXPECT_EQ(got.host, "box");
  EXPECT_EQ(got.started_ms, 42);
  EXPECT_FALSE(got.cache_hit);

  std::vector<StageAttemptRecord> list;
  ASSERT_TRUE(store_->ListAttempts(run, &list).ok());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, a.id);
  EXPECT_EQ(list[1].id, second);
}

TEST_P(StoreConformance, AttemptsNeedAnExistingRunAndAttempt) {
  StageAttemptRecord a;
  a.run_id = 999;
  EXPECT_TRUE(store_->CreateAttempt(&a).IsNotFound());
  EXPECT_TRUE(store_->GetAttempt(999, &a).IsNotFound());
  std::vector<StageAttemptRecord> attempts;
  EXPECT_TRUE(store_->ListAttempts(999, &attempts).IsNotFound());
  std::vector<MetricRecord> metrics;
  EXPECT_TRUE(store_->ListMetrics(999, &metrics).IsNotFound());
  std::vector<ParamRecord> params;
  EXPECT_TRUE(store_->ListParams(999, &params).IsNotFound());
  std::vector<ArtifactEdge> edges;
  EXPECT_TRUE(store_->ListEdges(999, &edges).IsNotFound());
  AttemptResult r;
  r.attempt.id = 999;
  EXPECT_TRUE(store_->FinishAttempt(r).IsNotFound());
  ArtifactRecord art;
  EXPECT_TRUE(store_->GetArtifact(Digest("nothing"), &art).IsNotFound());
}

TEST_P(StoreConformance, FinishAttemptRecordsEverythingTogether) {
  int64_t run = AddRun(AddPipeline("p"));
  int64_t id = AddAttempt(run, "train");
  AttemptResult r;
  r.attempt.id = id;
  r.attempt.status = AttemptStatus::kFailed;
  r.attempt.exit_code = -1;
  r.attempt.signal = 9;
  r.attempt.error = "killed";
  r.attempt.finished_ms = 5000;
  r.attempt.host = "worker-2";
  r.metrics = {{"loss", 0.5, 1, 100},
               {"loss", 0.25, 2, 200},
               {"nan_loss", std::numeric_limits<double>::quiet_NaN(), 3, 300},
               {"inf", std::numeric_limits<double>::infinity(), 0, 400}};
  r.params = {{"lr", "0.1"}, {"epochs", "3"}, {"lr", "0.2"}};
  r.artifacts = {{Digest("in"), 2, "text/csv", 0}, {Digest("out"), 3, "application/json", 77}};
  r.edges = {{0, Digest("in"), EdgeKind::kConsumed, "data.csv"},
             {id, Digest("out"), EdgeKind::kProduced, "metrics.json"},
             {0, Digest("out"), EdgeKind::kProduced, "metrics.json"}};  // duplicate
  Status st = store_->FinishAttempt(r);
  ASSERT_TRUE(st.ok()) << st.ToString();

  StageAttemptRecord got;
  ASSERT_TRUE(store_->GetAttempt(id, &got).ok());
  EXPECT_EQ(got.status, AttemptStatus::kFailed);
  EXPECT_EQ(got.signal, 9);
  EXPECT_EQ(got.exit_code, -1);
  EXPECT_EQ(got.error, "killed");
  EXPECT_EQ(got.finished_ms, 5000);
  EXPECT_EQ(got.host, "worker-2");
  EXPECT_EQ(got.started_ms, 2000);  // kept: not set in the result
  EXPECT_EQ(got.plugin_name, "exec");
  EXPECT_EQ(got.stage, "train");

  std::vector<MetricRecord> metrics;
  ASSERT_TRUE(store_->ListMetrics(id, &metrics).ok());
  ASSERT_EQ(metrics.size(), 4u);
  EXPECT_EQ(metrics[0].key, "loss");
  EXPECT_EQ(metrics[0].value, 0.5);
  EXPECT_EQ(metrics[0].step, 1);
  EXPECT_EQ(metrics[0].time_ms, 100);
  EXPECT_EQ(metrics[1].value, 0.25);
  EXPECT_EQ(metrics[1].step, 2);
  EXPECT_EQ(metrics[2].key, "nan_loss");
  EXPECT_TRUE(std::isnan(metrics[2].value));
  EXPECT_TRUE(std::isinf(metrics[3].value));

  std::vector<ParamRecord> params;
  ASSERT_TRUE(store_->ListParams(id, &params).ok());
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].key, "epochs");
  EXPECT_EQ(params[0].value, "3");
  EXPECT_EQ(params[1].key, "lr");
  EXPECT_EQ(params[1].value, "0.2");

  std::vector<ArtifactEdge> edges;
  ASSERT_TRUE(store_->ListEdges(id, &edges).ok());
  ASSERT_EQ(edges.size(), 2u);
  EXPECT_EQ(edges[0].kind, EdgeKind::kConsumed);
  EXPECT_EQ(edges[0].name, "data.csv");
  EXPECT_EQ(edges[0].attempt_id, id);
  EXPECT_EQ(edges[0].artifact_sha256, Digest("in"));
  EXPECT_EQ(edges[1].kind, EdgeKind::kProduced);
  EXPECT_EQ(edges[1].name, "metrics.json");

  ArtifactRecord art;
  ASSERT_TRUE(store_->GetArtifact(Digest("in"), &art).ok());
  EXPECT_EQ(art.size, 2);
  EXPECT_EQ(art.media_type, "text/csv");
  EXPECT_EQ(art.created_ms, 5000);  // undated: when the attempt finished
  ASSERT_TRUE(store_->GetArtifact(Digest("out"), &art).ok());
  EXPECT_EQ(art.created_ms, 77);
}

TEST_P(StoreConformance, FinishAttemptIsAllOrNothing) {
  int64_t run = AddRun(AddPipeline("p"));
  int64_t id = AddAttempt(run, "train");
  AttemptResult r;
  r.attempt.id = id;
  r.attempt.status = AttemptStatus::kSucceeded;
  r.attempt.exit_code = 0;
  r.metrics = {{"acc", 0.9, 0, 0}};
  r.params = {{"lr", "0.1"}};
  r.artifacts = {{Digest("known"), 1, "text/plain", 0}};
  r.edges = {{0, Digest("known"), EdgeKind::kProduced, "a"},
             {0, Digest("unknown"), EdgeKind::kProduced, "b"}};
  Status st = store_->FinishAttempt(r);
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();

  AttemptResult foreign_edge = r;
  foreign_edge.edges = {{id + 1000, Digest("known"), EdgeKind::kProduced, "a"}};
  EXPECT_TRUE(store_->FinishAttempt(foreign_edge).IsInvalidArgument());

  AttemptResult bad_digest = r;
  bad_digest.edges.clear();
  bad_digest.artifacts = {{"NOT-A-DIGEST", 1, "", 0}};
  EXPECT_TRUE(store_->FinishAttempt(bad_digest).IsInvalidArgument());

  StageAttemptRecord got;
  ASSERT_TRUE(store_->GetAttempt(id, &got).ok());
  EXPECT_EQ(got.status, AttemptStatus::kRunning);
  std::vector<MetricRecord> metrics;
  ASSERT_TRUE(store_->ListMetrics(id, &metrics).ok());
  EXPECT_TRUE(metrics.empty());
  std::vector<ParamRecord> params;
  ASSERT_TRUE(store_->ListParams(id, &params).ok());
  EXPECT_TRUE(params.empty());
  std::vector<ArtifactEdge> edges;
  ASSERT_TRUE(store_->ListEdges(id, &edges).ok());
  EXPECT_TRUE(edges.empty());
  ArtifactRecord art;
  EXPECT_TRUE(store_->GetArtifact(Digest("known"), &art).IsNotFound());
}

TEST_P(StoreConformance, KnownArtifactsKeepTheirFirstRecord) {
  int64_t run = AddRun(AddPipeline("p"));
  int64_t first = AddAttempt(run, "a");
  int64_t second = AddAttempt(run, "b");
  AttemptResult r;
  r.attempt.id = first;
  r.attempt.status = AttemptStatus::kSucceeded;
  r.artifacts = {{Digest("same"), 4, "text/csv", 10}};
  ASSERT_TRUE(store_->FinishAttempt(r).ok());
  r.attempt.id = second;
  r.artifacts = {{Digest("same"), 4, "application/octet-stream", 20}};
  r.edges = {{0, Digest("same"), EdgeKind::kConsumed, "in.csv"}};
  ASSERT_TRUE(store_->FinishAttempt(r).ok());
  ArtifactRecord art;
  ASSERT_TRUE(store_->GetArtifact(Digest("same"), &art).ok());
  EXPECT_EQ(art.media_type, "text/csv");
  EXPECT_EQ(art.created_ms, 10);
  std::vector<ArtifactRecord> all;
  ASSERT_TRUE(store_->ListArtifacts(0, &all).ok());
  EXPECT_EQ(all.size(), 1u);
}

TEST_P(StoreConformance, ListArtifactsNewestFirst) {
  int64_t run = AddRun(AddPipeline("p"));
  int64_t id = AddAttempt(run, "a");
  AttemptResult r;
  r.attempt.id = id;
  r.attempt.status = AttemptStatus::kSucceeded;
  r.artifacts = {
      {Digest("old"), 1, "", 100}, {Digest("new"), 1, "", 300}, {Digest("mid"), 1, "", 200}};
  ASSERT_TRUE(store_->FinishAttempt(r).ok());
  std::vector<ArtifactRecord> list;
  ASSERT_TRUE(store_->ListArtifacts(2, &list).ok());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].sha256, Digest("new"));
  EXPECT_EQ(list[1].sha256, Digest("mid"));
  ASSERT_TRUE(store_->ListArtifacts(0, &list).ok());
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[2].sha256, Digest("old"));
}

}  // namespace mlops::registry
