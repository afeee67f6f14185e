// MemoryStore: the Store in ordinary containers under one mutex. It keeps
// the SQLite store's semantics (ordering, NotFound cases, checks) so that
// the conformance suite holds for both.

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <tuple>

#include "lineage_walk.h"
#include "memory_trigger_tables.h"
#include "mlops/registry/store.h"
#include "store_rules.h"

namespace mlops::registry {

namespace {

using EdgeKey = std::tuple<int64_t, EdgeKind, std::string, std::string>;

ArtifactEdge EdgeOf(const EdgeKey& k) {
  ArtifactEdge e;
  std::tie(e.attempt_id, e.kind, e.name, e.artifact_sha256) = k;
  return e;
}

Status NotFound(const std::string& what, int64_t id) {
  return Status::NotFound(what + " " + std::to_string(id) + " not found");
}

class MemoryStore final : public Store, private internal::LineageSource {
 public:
  Status UpsertPipeline(PipelineRecord* rec) override;
  Status GetPipelineByName(const std::string& name, PipelineRecord* out) override;
  Status GetPipeline(int64_t id, PipelineRecord* out) override;
  Status ListPipelines(std::vector<PipelineRecord>* out) override;
  Status CreateRun(RunRecord* run) override;
  Status UpdateRun(const RunRecord& run) override;
  Status GetRun(int64_t id, RunRecord* out) override;
  Status ListRuns(const RunFilter& filter, std::vector<RunRecord>* out) override;
  Status CreateAttempt(StageAttemptRecord* rec) override;
  Status FinishAttempt(const AttemptResult& result) override;
  Status FinishAttemptsThenCreate(const std::vector<AttemptResult>& ended,
                                  StageAttemptRecord* next) override;
  Status GetAttempt(int64_t id, StageAttemptRecord* out) override;
  Status ListAttempts(int64_t run_id, std::vector<StageAttemptRecord>* out) override;
  Status ListMetrics(int64_t attempt_id, std::vector<MetricRecord>* out) override;
  Status ListParams(int64_t attempt_id, std::vector<ParamRecord>* out) override;
  Status ListEdges(int64_t attempt_id, std::vector<ArtifactEdge>* out) override;
  Status FindCachedAttempt(const std::string& cache_key, StageAttemptRecord* attempt,
                           std::vector<ArtifactEdge>* produced) override;
  Status GetArtifact(const std::string& sha256, ArtifactRecord* out) override;
  Status ListArtifacts(int limit, std::vector<ArtifactRecord>* out) override;
  Status LineageUpstream(const std::string& sha256, LineageGraph* out) override;
  Status LineageDownstream(const std::string& sha256, LineageGraph* out) override;
  Status InterruptUnfinished(int64_t now_ms, std::vector<int64_t>* run_ids) override;
  Status RecordFinishedAttempts(std::vector<AttemptResult>* results) override;
  Status FindCachedOutputs(const std::string& cache_key, StageAttemptRecord* attempt,
                           std::vector<ArtifactEdge>* produced,
                           std::vector<ArtifactRecord>* artifacts) override;
  Status ListRunEdges(int64_t run_id, std::vector<ArtifactEdge>* out) override;
  Status ListRunMetrics(int64_t run_id,
                        std::vector<std::pair<int64_t, MetricRecord>>* out) override;

  // Trigger tables: memory_trigger_tables.cc does the work, under mu_.
  Status UpsertRepository(RepositoryRecord* r) override {
    std::lock_guard lock(mu_);
    return triggers_.UpsertRepository(r);
  }
  Status GetRepository(const std::string& name, RepositoryRecord* out) override {
    std::lock_guard lock(mu_);
    return triggers_.GetRepository(name, out);
  }
  Status ListRepositories(std::vector<RepositoryRecord>* out) override {
    std::lock_guard lock(mu_);
    return triggers_.ListRepositories(out);
  }
  Status UpdateRepositoryState(const RepositoryRecord& r) override {
    std::lock_guard lock(mu_);
    return triggers_.UpdateRepositoryState(r);
  }
  Status RecordCommit(CommitRecord* c, bool* inserted) override {
    std::lock_guard lock(mu_);
    return triggers_.RecordCommit(c, inserted);
  }
  Status UpdateCommit(const CommitRecord& c) override {
    std::lock_guard lock(mu_);
    return triggers_.UpdateCommit(c, runs_);
  }
  Status GetCommit(int64_t id, CommitRecord* out) override {
    std::lock_guard lock(mu_);
    return triggers_.GetCommit(id, out);
  }
  Status ListCommits(const CommitFilter& f, std::vector<CommitRecord>* out) override {
    std::lock_guard lock(mu_);
    return triggers_.ListCommits(f, out);
  }
  Status RecordDataVersion(DataVersionRecord* d, bool* is_new) override {
    std::lock_guard lock(mu_);
    return triggers_.RecordDataVersion(d, is_new);
  }
  Status GetDataVersion(int64_t id, DataVersionRecord* out) override {
    std::lock_guard lock(mu_);
    return triggers_.GetDataVersion(id, out);
  }
  Status ListDataVersions(const std::string& path, int limit,
                          std::vector<DataVersionRecord>* out) override {
    std::lock_guard lock(mu_);
    return triggers_.ListDataVersions(path, limit, out);
  }
  Status LinkRunDataVersion(int64_t run_id, int64_t data_version_id) override {
    std::lock_guard lock(mu_);
    return triggers_.LinkRunDataVersion(run_id, data_version_id, runs_);
  }
  Status ListRunDataVersions(int64_t run_id, std::vector<DataVersionRecord>* out) override {
    std::lock_guard lock(mu_);
    return triggers_.ListRunDataVersions(run_id, runs_, out);
  }
  Status ListDataVersionRuns(int64_t data_version_id, std::vector<RunRecord>* out) override {
    std::lock_guard lock(mu_);
    return triggers_.ListDataVersionRuns(data_version_id, runs_, out);
  }
  Status RecordDelivery(const WebhookDeliveryRecord& d) override {
    std::lock_guard lock(mu_);
    return triggers_.RecordDelivery(d);
  }
  Status SetDeliveryResult(const std::string& source, const std::string& delivery_id,
                           const std::string& result) override {
    std::lock_guard lock(mu_);
    return triggers_.SetDeliveryResult(source, delivery_id, result);
  }
  Status PruneDeliveries(int64_t before_ms, int64_t* removed) override {
    std::lock_guard lock(mu_);
    return triggers_.PruneDeliveries(before_ms, removed);
  }

 private:
  struct StoredPipeline {
    PipelineRecord rec;
    int64_t registered_seq = 0;
  };
  struct StoredArtifact {
    ArtifactRecord rec;
    int64_t seq = 0;  // insertion order, the tie-break of "newest first"
  };

  // LineageSource and unlocked readers. REQUIRES: mu_ held.
  Status EdgesOfArtifact(const std::string& sha256, EdgeKind kind,
                         std::vector<ArtifactEdge>* out) override;
  Status EdgesOfAttempt(int64_t attempt_id, std::vector<ArtifactEdge>* out) override;
  Status Attempt(int64_t id, StageAttemptRecord* out) override;
  Status Artifact(const std::string& sha256, ArtifactRecord* out) override;
  Status Run(int64_t id, RunRecord* out) override;
  const StoredPipeline* Current(const std::string& name) const;
  // The edge check and the writes of FinishAttempt. REQUIRES: mu_ held.
  Status CheckEdgesKnown(const AttemptResult& r, int64_t attempt_id) const;
  void AddResultRows(const AttemptResult& r, int64_t attempt_id);
  void ApplyAttemptEnd(const AttemptResult& r);

  std::mutex mu_;
  // All protected by mu_.
  int64_t next_id_ = 1;
  int64_t seq_ = 0;
  std::map<int64_t, StoredPipeline> pipelines_;
  std::map<int64_t, RunRecord> runs_;
  std::map<int64_t, StageAttemptRecord> attempts_;
  std::map<int64_t, std::map<std::string, std::string>> params_;
  std::map<int64_t, std::vector<MetricRecord>> metrics_;
  std::map<std::string, StoredArtifact> artifacts_;
  std::set<EdgeKey> edges_;
  internal::MemoryTriggerTables triggers_;
};

const MemoryStore::StoredPipeline* MemoryStore::Current(const std::string& name) const {
  const StoredPipeline* best = nullptr;
  for (const auto& [id, p] : pipelines_) {
    if (p.rec.name == name && (best == nullptr || p.registered_seq > best->registered_seq)) {
      best = &p;
    }
  }
  return best;
}

Status MemoryStore::UpsertPipeline(PipelineRecord* rec) {
  std::lock_guard lock(mu_);
  for (auto& [id, p] : pipelines_) {
    if (p.rec.name == rec->name && p.rec.definition_sha256 == rec->definition_sha256) {
      p.rec.source_dir = rec->source_dir;
      p.registered_seq = ++seq_;
      *rec = p.rec;
      return Status::OK();
    }
  }
  if (rec->created_ms == 0) rec->created_ms = internal::WallMillisNow();
  rec->id = next_id_++;
  pipelines_[rec->id] = StoredPipeline{*rec, ++seq_};
  return Status::OK();
}

Status MemoryStore::GetPipelineByName(const std::string& name, PipelineRecord* out) {
  std::lock_guard lock(mu_);
  const StoredPipeline* p = Current(name);
  if (p == nullptr) return Status::NotFound("pipeline '" + name + "' not found");
  *out = p->rec;
  return Status::OK();
}

Status MemoryStore::GetPipeline(int64_t id, PipelineRecord* out) {
  std::lock_guard lock(mu_);
  auto it = pipelines_.find(id);
  if (it == pipelines_.end()) return NotFound("pipeline", id);
  *out = it->second.rec;
  return Status::OK();
}

Status MemoryStore::ListPipelines(std::vector<PipelineRecord>* out) {
  std::lock_guard lock(mu_);
  std::set<std::string> names;
  for (const auto& [id, p] : pipelines_) names.insert(p.rec.name);
  out->clear();
  for (const std::string& name : names) out->push_back(Current(name)->rec);
  return Status::OK();
}

Status MemoryStore::CreateRun(RunRecord* run) {
  std::lock_guard lock(mu_);
  auto p = pipelines_.find(run->pipeline_id);
  if (p == pipelines_.end()) return NotFound("pipeline", run->pipeline_id);
  if (run->results_run_id != 0 && runs_.count(run->results_run_id) == 0) {
    return NotFound("run", run->results_run_id);
  }
  run->id = next_id_++;
  run->pipeline_name = p->second.rec.name;
  runs_[run->id] = *run;
  return Status::OK();
}

Status MemoryStore::UpdateRun(const RunRecord& run) {
  std::lock_guard lock(mu_);
  auto it = runs_.find(run.id);
  if (it == runs_.end()) return NotFound("run", run.id);
  RunRecord& r = it->second;
  r.status = run.status;
  r.error = run.error;
  r.started_ms = run.started_ms;
  r.finished_ms = run.finished_ms;
  r.recovery_count = run.recovery_count;
  r.fingerprint = run.fingerprint;
  return Status::OK();
}

Status MemoryStore::Run(int64_t id, RunRecord* out) {
  auto it = runs_.find(id);
  if (it == runs_.end()) return NotFound("run", id);
  *out = it->second;
  return Status::OK();
}

Status MemoryStore::GetRun(int64_t id, RunRecord* out) {
  std::lock_guard lock(mu_);
  return Run(id, out);
}

Status MemoryStore::ListRuns(const RunFilter& filter, std::vector<RunRecord>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
    const RunRecord& r = it->second;
    if (filter.limit > 0 && out->size() >= static_cast<size_t>(filter.limit)) break;
    if (filter.before_id > 0 && r.id >= filter.before_id) continue;
    if (!filter.pipeline.empty() && r.pipeline_name != filter.pipeline) continue;
    if (!filter.status.empty() &&
        std::find(filter.status.begin(), filter.status.end(), r.status) == filter.status.end()) {
      continue;
    }
    out->push_back(r);
  }
  return Status::OK();
}

Status MemoryStore::CreateAttempt(StageAttemptRecord* rec) {
  std::lock_guard lock(mu_);
  if (runs_.count(rec->run_id) == 0) return NotFound("run", rec->run_id);
  rec->id = next_id_++;
  attempts_[rec->id] = *rec;
  return Status::OK();
}

Status MemoryStore::FinishAttempt(const AttemptResult& r) {
  return FinishAttemptsThenCreate({r}, nullptr);
}

Status MemoryStore::FinishAttemptsThenCreate(const std::vector<AttemptResult>& ended,
                                             StageAttemptRecord* next) {
  for (const AttemptResult& r : ended) MLOPS_RETURN_IF_ERROR(internal::CheckAttemptResult(r));
  std::lock_guard lock(mu_);
  // Check everything before changing anything: all or nothing.
  for (const AttemptResult& r : ended) {
    if (attempts_.count(r.attempt.id) == 0) return NotFound("attempt", r.attempt.id);
    MLOPS_RETURN_IF_ERROR(CheckEdgesKnown(r, r.attempt.id));
  }
  if (next != nullptr && runs_.count(next->run_id) == 0) return NotFound("run", next->run_id);
  for (const AttemptResult& r : ended) ApplyAttemptEnd(r);
  if (next != nullptr) {
    next->id = next_id_++;
    attempts_[next->id] = *next;
  }
  return Status::OK();
}

// REQUIRES: mu_ held, the attempt exists and `r` was checked.
void MemoryStore::ApplyAttemptEnd(const AttemptResult& r) {
  const StageAttemptRecord& in = r.attempt;
  StageAttemptRecord& a = attempts_.at(r.attempt.id);
  a.status = in.status;
  a.exit_code = in.exit_code;
  a.signal = in.signal;
  a.error = in.error;
  a.finished_ms = in.finished_ms;
  a.cache_hit = a.cache_hit || in.cache_hit;
  if (!in.reason.empty()) a.reason = in.reason;
  if (!in.log_path.empty()) a.log_path = in.log_path;
  if (!in.host.empty()) a.host = in.host;
  if (in.started_ms != 0) a.started_ms = in.started_ms;
  AddResultRows(r, a.id);
}

Status MemoryStore::CheckEdgesKnown(const AttemptResult& r, int64_t attempt_id) const {
  for (const ArtifactEdge& e : r.edges) {
    bool known = artifacts_.count(e.artifact_sha256) != 0 ||
                 std::any_of(r.artifacts.begin(), r.artifacts.end(), [&](const ArtifactRecord& a) {
                   return a.sha256 == e.artifact_sha256;
                 });
    if (!known) {
      return Status::InvalidArgument("attempt " + std::to_string(attempt_id) + ": edge '" +
                                     e.name + "' names unknown artifact " + e.artifact_sha256);
    }
  }
  return Status::OK();
}

void MemoryStore::AddResultRows(const AttemptResult& r, int64_t attempt_id) {
  for (const ParamRecord& p : r.params) params_[attempt_id][p.key] = p.value;
  auto& metrics = metrics_[attempt_id];
  metrics.insert(metrics.end(), r.metrics.begin(), r.metrics.end());
  for (const ArtifactRecord& art : r.artifacts) {
    if (artifacts_.count(art.sha256) != 0) continue;
    StoredArtifact stored{art, ++seq_};
    stored.rec.created_ms = internal::ArtifactCreatedMs(r, art);
    artifacts_.emplace(art.sha256, std::move(stored));
  }
  for (const ArtifactEdge& e : r.edges) {
    edges_.emplace(attempt_id, e.kind, e.name, e.artifact_sha256);
  }
}

Status MemoryStore::Attempt(int64_t id, StageAttemptRecord* out) {
  auto it = attempts_.find(id);
  if (it == attempts_.end()) return NotFound("attempt", id);
  *out = it->second;
  return Status::OK();
}

Status MemoryStore::GetAttempt(int64_t id, StageAttemptRecord* out) {
  std::lock_guard lock(mu_);
  return Attempt(id, out);
}

Status MemoryStore::ListAttempts(int64_t run_id, std::vector<StageAttemptRecord>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  if (runs_.count(run_id) == 0) return NotFound("run", run_id);
  for (const auto& [id, a] : attempts_) {
    if (a.run_id == run_id) out->push_back(a);
  }
  return Status::OK();
}

Status MemoryStore::ListMetrics(int64_t attempt_id, std::vector<MetricRecord>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  if (attempts_.count(attempt_id) == 0) return NotFound("attempt", attempt_id);
  auto it = metrics_.find(attempt_id);
  if (it != metrics_.end()) *out = it->second;
  return Status::OK();
}

Status MemoryStore::ListParams(int64_t attempt_id, std::vector<ParamRecord>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  if (attempts_.count(attempt_id) == 0) return NotFound("attempt", attempt_id);
  auto it = params_.find(attempt_id);
  if (it == params_.end()) return Status::OK();
  for (const auto& [key, value] : it->second) out->push_back(ParamRecord{key, value});
  return Status::OK();
}

Status MemoryStore::EdgesOfAttempt(int64_t attempt_id, std::vector<ArtifactEdge>* out) {
  out->clear();
  for (auto it = edges_.lower_bound(EdgeKey{attempt_id, EdgeKind::kConsumed, "", ""});
       it != edges_.end() && std::get<0>(*it) == attempt_id; ++it) {
    out->push_back(EdgeOf(*it));
  }
  return Status::OK();
}

Status MemoryStore::ListEdges(int64_t attempt_id, std::vector<ArtifactEdge>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  if (attempts_.count(attempt_id) == 0) return NotFound("attempt", attempt_id);
  return EdgesOfAttempt(attempt_id, out);
}

Status MemoryStore::FindCachedAttempt(const std::string& cache_key, StageAttemptRecord* attempt,
                                      std::vector<ArtifactEdge>* produced) {
  produced->clear();
  if (cache_key.empty()) return Status::NotFound("no cache key");
  std::lock_guard lock(mu_);
  for (auto it = attempts_.rbegin(); it != attempts_.rend(); ++it) {
    const StageAttemptRecord& a = it->second;
    if (a.cache_key != cache_key || a.status != AttemptStatus::kSucceeded || a.cache_hit) {
      continue;
    }
    *attempt = a;
    std::vector<ArtifactEdge> edges;
    EdgesOfAttempt(a.id, &edges);
    for (ArtifactEdge& e : edges) {
      if (e.kind == EdgeKind::kProduced) produced->push_back(std::move(e));
    }
    return Status::OK();
  }
  return Status::NotFound("cached result for " + cache_key + " not found");
}

Status MemoryStore::Artifact(const std::string& sha256, ArtifactRecord* out) {
  auto it = artifacts_.find(sha256);
  if (it == artifacts_.end()) return Status::NotFound("artifact " + sha256 + " not found");
  *out = it->second.rec;
  return Status::OK();
}

Status MemoryStore::GetArtifact(const std::string& sha256, ArtifactRecord* out) {
  std::lock_guard lock(mu_);
  return Artifact(sha256, out);
}

Status MemoryStore::ListArtifacts(int limit, std::vector<ArtifactRecord>* out) {
  std::lock_guard lock(mu_);
  std::vector<const StoredArtifact*> all;
  for (const auto& [sha, a] : artifacts_) all.push_back(&a);
  std::sort(all.begin(), all.end(), [](const StoredArtifact* x, const StoredArtifact* y) {
    return std::tie(x->rec.created_ms, x->seq) > std::tie(y->rec.created_ms, y->seq);
  });
  if (limit > 0 && all.size() > static_cast<size_t>(limit)) all.resize(limit);
  out->clear();
  for (const StoredArtifact* a : all) out->push_back(a->rec);
  return Status::OK();
}

Status MemoryStore::EdgesOfArtifact(const std::string& sha256, EdgeKind kind,
                                    std::vector<ArtifactEdge>* out) {
  out->clear();
  for (const EdgeKey& k : edges_) {
    if (std::get<3>(k) == sha256 && std::get<1>(k) == kind) out->push_back(EdgeOf(k));
  }
  return Status::OK();
}

Status MemoryStore::LineageUpstream(const std::string& sha256, LineageGraph* out) {
  std::lock_guard lock(mu_);
  return internal::WalkLineage(this, sha256, internal::LineageDirection::kUpstream, out);
}

Status MemoryStore::LineageDownstream(const std::string& sha256, LineageGraph* out) {
  std::lock_guard lock(mu_);
  return internal::WalkLineage(this, sha256, internal::LineageDirection::kDownstream, out);
}

Status MemoryStore::InterruptUnfinished(int64_t now_ms, std::vector<int64_t>* run_ids) {
  std::lock_guard lock(mu_);
  std::set<int64_t> affected;
  for (auto& [id, r] : runs_) {
    if (r.status == RunStatus::kQueued || r.status == RunStatus::kRunning) {
      r.status = RunStatus::kInterrupted;
      affected.insert(id);
    }
  }
  for (auto& [id, a] : attempts_) {
    if (a.status == AttemptStatus::kRunning) {
      a.status = AttemptStatus::kInterrupted;
      a.finished_ms = now_ms;
      affected.insert(a.run_id);
    }
  }
  run_ids->assign(affected.begin(), affected.end());
  return Status::OK();
}

Status MemoryStore::RecordFinishedAttempts(std::vector<AttemptResult>* results) {
  for (const AttemptResult& r : *results) MLOPS_RETURN_IF_ERROR(internal::CheckNewAttemptResult(r));
  std::lock_guard lock(mu_);
  // Check everything first: all or nothing. An edge may name an artifact
  // that an earlier result of the same batch adds.
  std::set<std::string> batch_artifacts;
  for (const AttemptResult& r : *results) {
    if (runs_.count(r.attempt.run_id) == 0) return NotFound("run", r.attempt.run_id);
    for (const ArtifactRecord& a : r.artifacts) batch_artifacts.insert(a.sha256);
  }
  for (const AttemptResult& r : *results) {
    for (const ArtifactEdge& e : r.edges) {
      if (artifacts_.count(e.artifact_sha256) == 0 && batch_artifacts.count(e.artifact_sha256) == 0) {
        return Status::InvalidArgument("new attempt of stage '" + r.attempt.stage + "': edge '" +
                                       e.name + "' names unknown artifact " + e.artifact_sha256);
      }
    }
  }
  for (AttemptResult& r : *results) {
    r.attempt.id = next_id_++;
    attempts_[r.attempt.id] = r.attempt;
    AddResultRows(r, r.attempt.id);
  }
  return Status::OK();
}

Status MemoryStore::FindCachedOutputs(const std::string& cache_key, StageAttemptRecord* attempt,
                                      std::vector<ArtifactEdge>* produced,
                                      std::vector<ArtifactRecord>* artifacts) {
  artifacts->clear();
  MLOPS_RETURN_IF_ERROR(FindCachedAttempt(cache_key, attempt, produced));
  std::lock_guard lock(mu_);
  for (const ArtifactEdge& e : *produced) {
    ArtifactRecord a;
    MLOPS_RETURN_IF_ERROR(Artifact(e.artifact_sha256, &a));
    artifacts->push_back(std::move(a));
  }
  return Status::OK();
}

Status MemoryStore::ListRunEdges(int64_t run_id, std::vector<ArtifactEdge>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  if (runs_.count(run_id) == 0) return NotFound("run", run_id);
  for (const auto& [id, a] : attempts_) {
    if (a.run_id != run_id) continue;
    std::vector<ArtifactEdge> edges;
    EdgesOfAttempt(id, &edges);
    out->insert(out->end(), edges.begin(), edges.end());
  }
  return Status::OK();
}

Status MemoryStore::ListRunMetrics(int64_t run_id,
                                   std::vector<std::pair<int64_t, MetricRecord>>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  if (runs_.count(run_id) == 0) return NotFound("run", run_id);
  for (const auto& [id, a] : attempts_) {
    if (a.run_id != run_id) continue;
    auto it = metrics_.find(id);
    if (it == metrics_.end()) continue;
    for (const MetricRecord& m : it->second) out->emplace_back(id, m);
  }
  return Status::OK();
}

}  // namespace

std::unique_ptr<Store> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace mlops::registry
