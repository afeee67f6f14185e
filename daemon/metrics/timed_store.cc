#include "metrics/timed_store.h"

#include <array>
#include <chrono>

namespace mlops::metrics {
namespace {

using namespace registry;  // NOLINT: the forwarding list below names every record type

enum Op {
  kUpsertPipeline, kGetPipelineByName, kGetPipeline, kListPipelines, kCreateRun, kUpdateRun,
  kGetRun, kListRuns, kCreateAttempt, kFinishAttempt, kGetAttempt, kListAttempts, kListMetrics,
  kListParams, kListEdges, kFindCachedAttempt, kGetArtifact, kListArtifacts, kLineageUpstream,
  kLineageDownstream, kInterruptUnfinished, kRecordFinishedAttempts, kFindCachedOutputs,
  kFinishAttemptsThenCreate,
  kListRunEdges, kListRunMetrics,
  // Triggers (migration 2).
  kUpsertRepository, kGetRepository, kListRepositories, kUpdateRepositoryState, kRecordCommit,
  kUpdateCommit, kGetCommit, kListCommits, kRecordDataVersion, kGetDataVersion,
  kListDataVersions, kLinkRunDataVersion, kListRunDataVersions, kListDataVersionRuns,
  kRecordDelivery, kSetDeliveryResult, kPruneDeliveries, kOpCount
};

constexpr std::array<const char*, kOpCount> kOpNames = {
    "upsert_pipeline", "get_pipeline_by_name", "get_pipeline", "list_pipelines", "create_run",
    "update_run", "get_run", "list_runs", "create_attempt", "finish_attempt", "get_attempt",
    "list_attempts", "list_metrics", "list_params", "list_edges", "find_cached_attempt",
    "get_artifact", "list_artifacts", "lineage_upstream", "lineage_downstream",
    "interrupt_unfinished", "record_finished_attempts", "find_cached_outputs",
    "finish_attempts_then_create", "list_run_edges",
    "list_run_metrics", "upsert_repository", "get_repository", "list_repositories",
    "update_repository_state", "record_commit", "update_commit", "get_commit", "list_commits",
    "record_data_version", "get_data_version", "list_data_versions", "link_run_data_version",
    "list_run_data_versions", "list_data_version_runs", "record_delivery", "set_delivery_result",
    "prune_deliveries"};

class TimedStore final : public Store {
 public:
  TimedStore(std::unique_ptr<Store> inner, Family<Counter>* ops, Family<Counter>* seconds,
             Family<Histogram>* latency)
      : inner_(std::move(inner)), ops_(ops) {
    // The success path touches only these cached series: no lookup, no lock.
    for (int i = 0; i < kOpCount; ++i) {
      ok_[i] = &ops->With({kOpNames[i], "ok"});
      seconds_[i] = &seconds->With({kOpNames[i]});
      latency_[i] = &latency->With({OperationKind(kOpNames[i])});
    }
  }

  Status UpsertPipeline(PipelineRecord* rec) override {
    return Timed(kUpsertPipeline, [&] { return inner_->UpsertPipeline(rec); });
  }
  Status GetPipelineByName(const std::string& name, PipelineRecord* out) override {
    return Timed(kGetPipelineByName, [&] { return inner_->GetPipelineByName(name, out); });
  }
  Status GetPipeline(int64_t id, PipelineRecord* out) override {
    return Timed(kGetPipeline, [&] { return inner_->GetPipeline(id, out); });
  }
  Status ListPipelines(std::vector<PipelineRecord>* out) override {
    return Timed(kListPipelines, [&] { return inner_->ListPipelines(out); });
  }
  Status CreateRun(RunRecord* run) override {
    return Timed(kCreateRun, [&] { return inner_->CreateRun(run); });
  }
  Status UpdateRun(const RunRecord& run) override {
    return Timed(kUpdateRun, [&] { return inner_->UpdateRun(run); });
  }
  Status GetRun(int64_t id, RunRecord* out) override {
    return Timed(kGetRun, [&] { return inner_->GetRun(id, out); });
  }
  Status ListRuns(const RunFilter& filter, std::vector<RunRecord>* out) override {
    return Timed(kListRuns, [&] { return inner_->ListRuns(filter, out); });
  }
  Status CreateAttempt(StageAttemptRecord* rec) override {
    return Timed(kCreateAttempt, [&] { return inner_->CreateAttempt(rec); });
  }
  Status FinishAttempt(const AttemptResult& result) override {
    return Timed(kFinishAttempt, [&] { return inner_->FinishAttempt(result); });
  }
  Status FinishAttemptsThenCreate(const std::vector<AttemptResult>& ended,
                                  StageAttemptRecord* next) override {
    return Timed(kFinishAttemptsThenCreate,
                 [&] { return inner_->FinishAttemptsThenCreate(ended, next); });
  }
  Status GetAttempt(int64_t id, StageAttemptRecord* out) override {
    return Timed(kGetAttempt, [&] { return inner_->GetAttempt(id, out); });
  }
  Status ListAttempts(int64_t run_id, std::vector<StageAttemptRecord>* out) override {
    return Timed(kListAttempts, [&] { return inner_->ListAttempts(run_id, out); });
  }
  Status ListMetrics(int64_t attempt_id, std::vector<MetricRecord>* out) override {
    return Timed(kListMetrics, [&] { return inner_->ListMetrics(attempt_id, out); });
  }
  Status ListParams(int64_t attempt_id, std::vector<ParamRecord>* out) override {
    return Timed(kListParams, [&] { return inner_->ListParams(attempt_id, out); });
  }
  Status ListEdges(int64_t attempt_id, std::vector<ArtifactEdge>* out) override {
    return Timed(kListEdges, [&] { return inner_->ListEdges(attempt_id, out); });
  }
  Status FindCachedAttempt(const std::string& cache_key, StageAttemptRecord* attempt,
                           std::vector<ArtifactEdge>* produced) override {
    return Timed(kFindCachedAttempt,
                 [&] { return inner_->FindCachedAttempt(cache_key, attempt, produced); });
  }
  Status GetArtifact(const std::string& sha256, ArtifactRecord* out) override {
    return Timed(kGetArtifact, [&] { return inner_->GetArtifact(sha256, out); });
  }
  Status ListArtifacts(int limit, std::vector<ArtifactRecord>* out) override {
    return Timed(kListArtifacts, [&] { return inner_->ListArtifacts(limit, out); });
  }
  Status LineageUpstream(const std::string& sha256, LineageGraph* out) override {
    return Timed(kLineageUpstream, [&] { return inner_->LineageUpstream(sha256, out); });
  }
  Status LineageDownstream(const std::string& sha256, LineageGraph* out) override {
    return Timed(kLineageDownstream, [&] { return inner_->LineageDownstream(sha256, out); });
  }
  Status InterruptUnfinished(int64_t now_ms, std::vector<int64_t>* run_ids) override {
    return Timed(kInterruptUnfinished, [&] { return inner_->InterruptUnfinished(now_ms, run_ids); });
  }
  Status RecordFinishedAttempts(std::vector<AttemptResult>* results) override {
    return Timed(kRecordFinishedAttempts, [&] { return inner_->RecordFinishedAttempts(results); });
  }
  Status FindCachedOutputs(const std::string& cache_key, StageAttemptRecord* attempt,
                           std::vector<ArtifactEdge>* produced,
                           std::vector<ArtifactRecord>* artifacts) override {
    return Timed(kFindCachedOutputs, [&] {
      return inner_->FindCachedOutputs(cache_key, attempt, produced, artifacts);
    });
  }
  Status ListRunEdges(int64_t run_id, std::vector<ArtifactEdge>* out) override {
    return Timed(kListRunEdges, [&] { return inner_->ListRunEdges(run_id, out); });
  }
  Status ListRunMetrics(int64_t run_id,
                        std::vector<std::pair<int64_t, MetricRecord>>* out) override {
    return Timed(kListRunMetrics, [&] { return inner_->ListRunMetrics(run_id, out); });
  }

  Status UpsertRepository(RepositoryRecord* r) override {
    return Timed(kUpsertRepository, [&] { return inner_->UpsertRepository(r); });
  }
  Status GetRepository(const std::string& name, RepositoryRecord* out) override {
    return Timed(kGetRepository, [&] { return inner_->GetRepository(name, out); });
  }
  Status ListRepositories(std::vector<RepositoryRecord>* out) override {
    return Timed(kListRepositories, [&] { return inner_->ListRepositories(out); });
  }
  Status UpdateRepositoryState(const RepositoryRecord& r) override {
    return Timed(kUpdateRepositoryState, [&] { return inner_->UpdateRepositoryState(r); });
  }
  Status RecordCommit(CommitRecord* c, bool* inserted) override {
    return Timed(kRecordCommit, [&] { return inner_->RecordCommit(c, inserted); });
  }
  Status UpdateCommit(const CommitRecord& c) override {
    return Timed(kUpdateCommit, [&] { return inner_->UpdateCommit(c); });
  }
  Status GetCommit(int64_t id, CommitRecord* out) override {
    return Timed(kGetCommit, [&] { return inner_->GetCommit(id, out); });
  }
  Status ListCommits(const CommitFilter& f, std::vector<CommitRecord>* out) override {
    return Timed(kListCommits, [&] { return inner_->ListCommits(f, out); });
  }
  Status RecordDataVersion(DataVersionRecord* d, bool* is_new) override {
    return Timed(kRecordDataVersion, [&] { return inner_->RecordDataVersion(d, is_new); });
  }
  Status GetDataVersion(int64_t id, DataVersionRecord* out) override {
    return Timed(kGetDataVersion, [&] { return inner_->GetDataVersion(id, out); });
  }
  Status ListDataVersions(const std::string& path, int limit,
                          std::vector<DataVersionRecord>* out) override {
    return Timed(kListDataVersions, [&] { return inner_->ListDataVersions(path, limit, out); });
  }
  Status LinkRunDataVersion(int64_t run_id, int64_t data_version_id) override {
    return Timed(kLinkRunDataVersion,
                 [&] { return inner_->LinkRunDataVersion(run_id, data_version_id); });
  }
  Status ListRunDataVersions(int64_t run_id, std::vector<DataVersionRecord>* out) override {
    return Timed(kListRunDataVersions, [&] { return inner_->ListRunDataVersions(run_id, out); });
  }
  Status ListDataVersionRuns(int64_t data_version_id, std::vector<RunRecord>* out) override {
    return Timed(kListDataVersionRuns,
                 [&] { return inner_->ListDataVersionRuns(data_version_id, out); });
  }
  Status RecordDelivery(const WebhookDeliveryRecord& d) override {
    return Timed(kRecordDelivery, [&] { return inner_->RecordDelivery(d); });
  }
  Status SetDeliveryResult(const std::string& source, const std::string& delivery_id,
                           const std::string& result) override {
    return Timed(kSetDeliveryResult,
                 [&] { return inner_->SetDeliveryResult(source, delivery_id, result); });
  }
  Status PruneDeliveries(int64_t before_ms, int64_t* removed) override {
    return Timed(kPruneDeliveries, [&] { return inner_->PruneDeliveries(before_ms, removed); });
  }

 private:
  template <typename F>
  Status Timed(Op op, F&& call) {
    const auto start = std::chrono::steady_clock::now();
    Status s = call();
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    latency_[op]->Observe(took);
    seconds_[op]->Inc(took);
    if (s.ok()) ok_[op]->Inc();
    else ops_->With({kOpNames[op], ResultLabel(s)}).Inc();
    return s;
  }

  std::unique_ptr<Store> inner_;
  Family<Counter>* ops_;
  std::array<Counter*, kOpCount> ok_{};
  std::array<Counter*, kOpCount> seconds_{};
  std::array<Histogram*, kOpCount> latency_{};
};

}  // namespace

const char* ResultLabel(const Status& s) {
  switch (s.code()) {
    case Status::Code::kOk: return "ok";
    case Status::Code::kNotFound: return "not_found";
    case Status::Code::kInvalidArgument: return "invalid_argument";
    case Status::Code::kCorruption: return "corruption";
    case Status::Code::kIOError: return "io_error";
    case Status::Code::kConflict: return "conflict";
    case Status::Code::kUnavailable: return "unavailable";
    case Status::Code::kPermissionDenied: return "permission_denied";
  }
  return "error";
}

const char* OperationKind(const std::string& operation) {
  for (const char* prefix : {"get_", "list_", "find_", "lineage_"}) {
    if (operation.rfind(prefix, 0) == 0) return "read";
  }
  return "write";
}

std::unique_ptr<registry::Store> NewTimedStore(std::unique_ptr<registry::Store> inner,
                                               Family<Counter>* operations,
                                               Family<Counter>* seconds,
                                               Family<Histogram>* latency) {
  return std::make_unique<TimedStore>(std::move(inner), operations, seconds, latency);
}

}  // namespace mlops::metrics
