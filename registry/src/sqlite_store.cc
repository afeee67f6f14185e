// SqliteStore: the Store on one SQLite connection, serialised by a mutex.
// Every query is a cached prepared statement with bound parameters; every
// call that reads more than one statement, or writes, is one transaction.

#include <cmath>
#include <limits>
#include <mutex>

#include "lineage_walk.h"
#include "mlops/registry/store.h"
#include "sqlite_db.h"
#include "sqlite_rows.h"
#include "sqlite_schema.h"
#include "sqlite_trigger_tables.h"
#include "store_rules.h"

namespace mlops::registry {

namespace {

using internal::Collect;
using internal::kArtifactCols;
using internal::kAttemptCols;
using internal::kEdgeCols;
using internal::kPipelineCols;
using internal::kRunCols;
using internal::One;
using internal::ReadArtifact;
using internal::ReadAttempt;
using internal::ReadEdge;
using internal::ReadPipeline;
using internal::ReadRun;
using internal::Sql;
using internal::SqliteDb;
using internal::Stmt;
using internal::Txn;

class SqliteStore final : public Store, private internal::LineageSource {
 public:
  explicit SqliteStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

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

  // Trigger tables: sqlite_trigger_tables.cc does the work, under mu_.
  Status UpsertRepository(RepositoryRecord* r) override { return Locked(internal::UpsertRepository, r); }
  Status GetRepository(const std::string& name, RepositoryRecord* out) override {
    return Locked(internal::GetRepository, name, out);
  }
  Status ListRepositories(std::vector<RepositoryRecord>* out) override {
    return Locked(internal::ListRepositories, out);
  }
  Status UpdateRepositoryState(const RepositoryRecord& r) override {
    return Locked(internal::UpdateRepositoryState, r);
  }
  Status RecordCommit(CommitRecord* c, bool* inserted) override {
    return Locked(internal::RecordCommit, c, inserted);
  }
  Status UpdateCommit(const CommitRecord& c) override { return Locked(internal::UpdateCommit, c); }
  Status GetCommit(int64_t id, CommitRecord* out) override {
    return Locked(internal::GetCommit, id, out);
  }
  Status ListCommits(const CommitFilter& f, std::vector<CommitRecord>* out) override {
    return Locked(internal::ListCommits, f, out);
  }
  Status RecordDataVersion(DataVersionRecord* d, bool* is_new) override {
    return Locked(internal::RecordDataVersion, d, is_new);
  }
  Status GetDataVersion(int64_t id, DataVersionRecord* out) override {
    return Locked(internal::GetDataVersion, id, out);
  }
  Status ListDataVersions(const std::string& path, int limit,
                          std::vector<DataVersionRecord>* out) override {
    return Locked(internal::ListDataVersions, path, limit, out);
  }
  Status LinkRunDataVersion(int64_t run_id, int64_t data_version_id) override {
    return Locked(internal::LinkRunDataVersion, run_id, data_version_id);
  }
  Status ListRunDataVersions(int64_t run_id, std::vector<DataVersionRecord>* out) override {
    return Locked(internal::ListRunDataVersions, run_id, out);
  }
  Status ListDataVersionRuns(int64_t data_version_id, std::vector<RunRecord>* out) override {
    return Locked(internal::ListDataVersionRuns, data_version_id, out);
  }
  Status RecordDelivery(const WebhookDeliveryRecord& d) override {
    return Locked(internal::RecordDelivery, d);
  }
  Status SetDeliveryResult(const std::string& source, const std::string& delivery_id,
                           const std::string& result) override {
    return Locked(internal::SetDeliveryResult, source, delivery_id, result);
  }
  Status PruneDeliveries(int64_t before_ms, int64_t* removed) override {
    return Locked(internal::PruneDeliveries, before_ms, removed);
  }

 private:
  template <typename F, typename... Args>
  Status Locked(F f, Args&&... args) {
    std::lock_guard lock(mu_);
    return f(db_.get(), std::forward<Args>(args)...);
  }

 private:
  // LineageSource, and the unlocked readers behind the public getters.
  // REQUIRES: mu_ held.
  Status EdgesOfArtifact(const std::string& sha256, EdgeKind kind,
                         std::vector<ArtifactEdge>* out) override;
  Status EdgesOfAttempt(int64_t attempt_id, std::vector<ArtifactEdge>* out) override;
  Status Attempt(int64_t id, StageAttemptRecord* out) override;
  Status Artifact(const std::string& sha256, ArtifactRecord* out) override;
  Status Run(int64_t id, RunRecord* out) override;
  Status Exists(const char* sql, int64_t id, const std::string& what);
  Status Lineage(const std::string& sha256, internal::LineageDirection d, LineageGraph* out);
  // Inserts an attempt row and sets rec->id. REQUIRES: mu_ held, in a write
  // transaction, the run exists.
  Status InsertAttempt(StageAttemptRecord* rec);
  // Writes the params, metrics, artifacts and edges of `r` for attempt
  // `attempt_id`. REQUIRES: mu_ held, in a write transaction.
  Status InsertResultRows(const AttemptResult& r, int64_t attempt_id);
  Status WriteAttemptEnd(const AttemptResult& r);
  Status FindCached(const std::string& cache_key, StageAttemptRecord* attempt,
                    std::vector<ArtifactEdge>* produced);

  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;  // protected by mu_
};

Status SqliteStore::Exists(const char* sql, int64_t id, const std::string& what) {
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db_->Prepare(sql, &s));
  s.Bind(1, id);
  bool row = false;
  MLOPS_RETURN_IF_ERROR(s.Step(&row));
  return row ? Status::OK() : Status::NotFound(what + " " + std::to_string(id) + " not found");
}

Status SqliteStore::UpsertPipeline(PipelineRecord* rec) {
  std::lock_guard lock(mu_);
  Txn txn(db_.get(), Txn::Mode::kWrite);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  PipelineRecord existing;
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(
        db_->Prepare(Sql(kPipelineCols, "WHERE name = ?1 AND definition_sha256 = ?2"), &s));
    s.Bind(1, rec->name);
    s.Bind(2, rec->definition_sha256);
    Status st = One(&s, &existing, ReadPipeline, "pipeline");
    if (!st.ok() && !st.IsNotFound()) return st;
  }
  Stmt s;
  if (existing.id != 0) {
    MLOPS_RETURN_IF_ERROR(
        db_->Prepare("UPDATE pipelines SET source_dir = ?1, registered_seq = "
                     "(SELECT MAX(registered_seq) + 1 FROM pipelines) WHERE id = ?2",
                     &s));
    s.Bind(1, rec->source_dir);
    s.Bind(2, existing.id);
    MLOPS_RETURN_IF_ERROR(s.Run());
    existing.source_dir = rec->source_dir;
    *rec = existing;
  } else {
    if (rec->created_ms == 0) rec->created_ms = internal::WallMillisNow();
    MLOPS_RETURN_IF_ERROR(db_->Prepare(
        "INSERT INTO pipelines (name, definition_sha256, definition, source_dir, created_ms, "
        "registered_seq) VALUES (?1, ?2, ?3, ?4, ?5, "
        "(SELECT COALESCE(MAX(registered_seq), 0) + 1 FROM pipelines))",
        &s));
    s.Bind(1, rec->name);
    s.Bind(2, rec->definition_sha256);
    s.Bind(3, rec->definition);
    s.Bind(4, rec->source_dir);
    s.Bind(5, rec->created_ms);
    MLOPS_RETURN_IF_ERROR(s.Run());
    rec->id = db_->LastInsertId();
  }
  return txn.Commit();
}

Status SqliteStore::GetPipelineByName(const std::string& name, PipelineRecord* out) {
  std::lock_guard lock(mu_);
  Stmt s;
  MLOPS_RETURN_IF_ERROR(
      db_->Prepare(Sql(kPipelineCols, "WHERE name = ?1 ORDER BY registered_seq DESC LIMIT 1"), &s));
  s.Bind(1, name);
  return One(&s, out, ReadPipeline, "pipeline '" + name + "'");
}

Status SqliteStore::GetPipeline(int64_t id, PipelineRecord* out) {
  std::lock_guard lock(mu_);
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db_->Prepare(Sql(kPipelineCols, "WHERE id = ?1"), &s));
  s.Bind(1, id);
  return One(&s, out, ReadPipeline, "pipeline " + std::to_string(id));
}

Status SqliteStore::ListPipelines(std::vector<PipelineRecord>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db_->Prepare(
      Sql(kPipelineCols,
          "AS p WHERE registered_seq = "
          "(SELECT MAX(registered_seq) FROM pipelines WHERE name = p.name) ORDER BY name"),
      &s));
  return Collect(&s, out, ReadPipeline);
}

Status SqliteStore::CreateRun(RunRecord* run) {
  std::lock_guard lock(mu_);
  Txn txn(db_.get(), Txn::Mode::kWrite);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db_->Prepare("SELECT name FROM pipelines WHERE id = ?1", &s));
    s.Bind(1, run->pipeline_id);
    MLOPS_RETURN_IF_ERROR(One(
        &s, &run->pipeline_name, [](const Stmt& s, std::string* n) { *n = s.Text(0); },
        "pipeline " + std::to_string(run->pipeline_id)));
  }
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db_->Prepare(
      "INSERT INTO runs (pipeline_id, triggered_by, reason, commit_id, force, status, error, "
      "queued_ms, started_ms, finished_ms, recovery_count, fingerprint, results_run_id) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
      &s));
  s.Bind(1, run->pipeline_id);
  s.Bind(2, run->trigger);
  s.Bind(3, run->reason);
  s.Bind(4, run->commit);
  s.Bind(5, run->force);
  s.Bind(6, ToString(run->status));
  s.Bind(7, run->error);
  s.Bind(8, run->queued_ms);
  s.Bind(9, run->started_ms);
  s.Bind(10, run->finished_ms);
  s.Bind(11, run->recovery_count);
  s.Bind(12, run->fingerprint);
  if (run->results_run_id != 0) {
    s.Bind(13, run->results_run_id);
  } else {
    s.BindNull(13);
  }
  Status inserted = s.Run();
  if (inserted.IsConflict() && run->results_run_id != 0) {
    return Status::NotFound("run " + std::to_string(run->results_run_id) + " not found");
  }
  MLOPS_RETURN_IF_ERROR(inserted);
  run->id = db_->LastInsertId();
  return txn.Commit();
}

Status SqliteStore::UpdateRun(const RunRecord& run) {
  std::lock_guard lock(mu_);
  Stmt s;
  MLOPS_RETURN_IF_ERROR(
      db_->Prepare("UPDATE runs SET status = ?1, error = ?2, started_ms = ?3, finished_ms = ?4, "
                   "recovery_count = ?5, fingerprint = ?7 WHERE id = ?6",
                   &s));
  s.Bind(1, ToString(run.status));
  s.Bind(2, run.error);
  s.Bind(3, run.started_ms);
  s.Bind(4, run.finished_ms);
  s.Bind(5, run.recovery_count);
  s.Bind(6, run.id);
  s.Bind(7, run.fingerprint);
  MLOPS_RETURN_IF_ERROR(s.Run());
  if (db_->Changes() == 0) return Status::NotFound("run " + std::to_string(run.id) + " not found");
  return Status::OK();
}

Status SqliteStore::Run(int64_t id, RunRecord* out) {
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db_->Prepare(Sql(kRunCols, "WHERE r.id = ?1"), &s));
  s.Bind(1, id);
  return One(&s, out, ReadRun, "run " + std::to_string(id));
}

Status SqliteStore::GetRun(int64_t id, RunRecord* out) {
  std::lock_guard lock(mu_);
  return Run(id, out);
}

Status SqliteStore::ListRuns(const RunFilter& filter, std::vector<RunRecord>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  // The text varies only with which filters are present (a few shapes, each
  // cached); the values are always bound.
  std::string sql = Sql(kRunCols, "WHERE 1");
  int n = 0;
  if (!filter.pipeline.empty()) sql += " AND p.name = ?" + std::to_string(++n);
  if (!filter.status.empty()) {
    sql += " AND r.status IN (";
    for (size_t i = 0; i < filter.status.size(); ++i) {
      sql += (i ? ", ?" : "?") + std::to_string(++n);
    }
    sql += ")";
  }
  if (filter.before_id > 0) sql += " AND r.id < ?" + std::to_string(++n);
  sql += " ORDER BY r.id DESC LIMIT ?" + std::to_string(++n);

  Stmt s;
  MLOPS_RETURN_IF_ERROR(db_->Prepare(sql, &s));
  int i = 0;
  if (!filter.pipeline.empty()) s.Bind(++i, filter.pipeline);
  for (RunStatus st : filter.status) s.Bind(++i, ToString(st));
  if (filter.before_id > 0) s.Bind(++i, filter.before_id);
  s.Bind(++i, filter.limit > 0 ? filter.limit : -1);
  return Collect(&s, out, ReadRun);
}

Status SqliteStore::CreateAttempt(StageAttemptRecord* rec) {
  std::lock_guard lock(mu_);
  Txn txn(db_.get(), Txn::Mode::kWrite);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  MLOPS_RETURN_IF_ERROR(Exists("SELECT 1 FROM runs WHERE id = ?1", rec->run_id, "run"));
  MLOPS_RETURN_IF_ERROR(InsertAttempt(rec));
  return txn.Commit();
}

Status SqliteStore::InsertAttempt(StageAttemptRecord* rec) {
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db_->Prepare(
      "INSERT INTO stage_attempts (run_id, stage, attempt, plugin_name, plugin_version, "
      "plugin_sha256, params_json, cache_key, status, exit_code, signal, cache_hit, reason, "
      "error, log_path, host, started_ms, finished_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
      &s));
  s.Bind(1, rec->run_id);
  s.Bind(2, rec->stage);
  s.Bind(3, rec->attempt);
  s.Bind(4, rec->plugin_name);
  s.Bind(5, rec->plugin_version);
  s.Bind(6, rec->plugin_sha256);
  s.Bind(7, rec->params_json);
  s.Bind(8, rec->cache_key);
  s.Bind(9, ToString(rec->status));
  s.Bind(10, rec->exit_code);
  s.Bind(11, rec->signal);
  s.Bind(12, rec->cache_hit);
  s.Bind(13, rec->reason);
  s.Bind(14, rec->error);
  s.Bind(15, rec->log_path);
  s.Bind(16, rec->host);
  s.Bind(17, rec->started_ms);
  s.Bind(18, rec->finished_ms);
  MLOPS_RETURN_IF_ERROR(s.Run());
  rec->id = db_->LastInsertId();
  return Status::OK();
}

Status SqliteStore::FinishAttempt(const AttemptResult& r) {
  return FinishAttemptsThenCreate({r}, nullptr);
}

Status SqliteStore::FinishAttemptsThenCreate(const std::vector<AttemptResult>& ended,
                                             StageAttemptRecord* next) {
  for (const AttemptResult& r : ended) MLOPS_RETURN_IF_ERROR(internal::CheckAttemptResult(r));
  std::lock_guard lock(mu_);
  Txn txn(db_.get(), Txn::Mode::kWrite);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  for (const AttemptResult& r : ended) MLOPS_RETURN_IF_ERROR(WriteAttemptEnd(r));
  if (next != nullptr) {
    MLOPS_RETURN_IF_ERROR(Exists("SELECT 1 FROM runs WHERE id = ?1", next->run_id, "run"));
    MLOPS_RETURN_IF_ERROR(InsertAttempt(next));
  }
  Status st = txn.Commit();
  if (!st.ok() && next != nullptr) next->id = 0;
  return st;
}

// The end of one attempt and what it produced; the caller holds mu_ and a
// write transaction.
Status SqliteStore::WriteAttemptEnd(const AttemptResult& r) {
  const StageAttemptRecord& a = r.attempt;
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db_->Prepare(
        "UPDATE stage_attempts SET status = ?1, exit_code = ?2, signal = ?3, error = ?4, "
        "finished_ms = ?5, cache_hit = (cache_hit OR ?6), "
        "reason = COALESCE(NULLIF(?7, ''), reason), log_path = COALESCE(NULLIF(?8, ''), log_path), "
        "host = COALESCE(NULLIF(?9, ''), host), started_ms = COALESCE(NULLIF(?10, 0), started_ms) "
        "WHERE id = ?11",
        &s));
    s.Bind(1, ToString(a.status));
    s.Bind(2, a.exit_code);
    s.Bind(3, a.signal);
    s.Bind(4, a.error);
    s.Bind(5, a.finished_ms);
    s.Bind(6, a.cache_hit);
    s.Bind(7, a.reason);
    s.Bind(8, a.log_path);
    s.Bind(9, a.host);
    s.Bind(10, a.started_ms);
    s.Bind(11, a.id);
    MLOPS_RETURN_IF_ERROR(s.Run());
    if (db_->Changes() == 0)
      return Status::NotFound("attempt " + std::to_string(a.id) + " not found");
  }
  return InsertResultRows(r, a.id);
}

Status SqliteStore::InsertResultRows(const AttemptResult& r, int64_t attempt_id) {
  for (const ParamRecord& p : r.params) {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db_->Prepare(
        "INSERT OR REPLACE INTO params (attempt_id, key, value) VALUES (?1, ?2, ?3)", &s));
    s.Bind(1, attempt_id);
    s.Bind(2, p.key);
    s.Bind(3, p.value);
    MLOPS_RETURN_IF_ERROR(s.Run());
  }
  for (const MetricRecord& m : r.metrics) {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db_->Prepare(
        "INSERT INTO metrics (attempt_id, key, value, step, time_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        &s));
    s.Bind(1, attempt_id);
    s.Bind(2, m.key);
    if (std::isnan(m.value)) {
      s.BindNull(3);
    } else {
      s.Bind(3, m.value);
    }
    s.Bind(4, m.step);
    s.Bind(5, m.time_ms);
    MLOPS_RETURN_IF_ERROR(s.Run());
  }
  for (const ArtifactRecord& art : r.artifacts) {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(
        db_->Prepare("INSERT OR IGNORE INTO artifacts (sha256, size, media_type, created_ms) "
                     "VALUES (?1, ?2, ?3, ?4)",
                     &s));
    s.Bind(1, art.sha256);
    s.Bind(2, art.size);
    s.Bind(3, art.media_type);
    s.Bind(4, internal::ArtifactCreatedMs(r, art));
    MLOPS_RETURN_IF_ERROR(s.Run());
  }
  for (const ArtifactEdge& e : r.edges) {
    {
      Stmt s;
      MLOPS_RETURN_IF_ERROR(db_->Prepare("SELECT 1 FROM artifacts WHERE sha256 = ?1", &s));
      s.Bind(1, e.artifact_sha256);
      bool row = false;
      MLOPS_RETURN_IF_ERROR(s.Step(&row));
      if (!row) {
        return Status::InvalidArgument("attempt " + std::to_string(attempt_id) + ": edge '" + e.name +
                                       "' names unknown artifact " + e.artifact_sha256);
      }
    }
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db_->Prepare(
        "INSERT OR IGNORE INTO artifact_edges (attempt_id, artifact_sha256, kind, name) "
        "VALUES (?1, ?2, ?3, ?4)",
        &s));
    s.Bind(1, attempt_id);
    s.Bind(2, e.artifact_sha256);
    s.Bind(3, ToString(e.kind));
    s.Bind(4, e.name);
    MLOPS_RETURN_IF_ERROR(s.Run());
  }
  return Status::OK();
}

Status SqliteStore::Attempt(int64_t id, StageAttemptRecord* out) {
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db_->Prepare(Sql(kAttemptCols, "WHERE id = ?1"), &s));
  s.Bind(1, id);
  return One(&s, out, ReadAttempt, "attempt " + std::to_string(id));
}

Status SqliteStore::GetAttempt(int64_t id, StageAttemptRecord* out) {
  std::lock_guard lock(mu_);
  return Attempt(id, out);
}

Status SqliteStore::ListAttempts(int64_t run_id, std::vector<StageAttemptRecord>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  Txn txn(db_.get(), Txn::Mode::kRead);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  MLOPS_RETURN_IF_ERROR(Exists("SELECT 1 FROM runs WHERE id = ?1", run_id, "run"));
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db_->Prepare(Sql(kAttemptCols, "WHERE run_id = ?1 ORDER BY id"), &s));
  s.Bind(1, run_id);
  MLOPS_RETURN_IF_ERROR(Collect(&s, out, ReadAttempt));
  return txn.Commit();
}

Status SqliteStore::ListMetrics(int64_t attempt_id, std::vector<MetricRecord>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  Txn txn(db_.get(), Txn::Mode::kRead);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  MLOPS_RETURN_IF_ERROR(
      Exists("SELECT 1 FROM stage_attempts WHERE id = ?1", attempt_id, "attempt"));
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db_->Prepare(
      "SELECT key, value, step, time_ms FROM metrics WHERE attempt_id = ?1 ORDER BY id", &s));
  s.Bind(1, attempt_id);
  MLOPS_RETURN_IF_ERROR(Collect(&s, out, [](const Stmt& s, MetricRecord* m) {
    m->key = s.Text(0);
    m->value = s.IsNull(1) ? std::numeric_limits<double>::quiet_NaN() : s.Double(1);
    m->step = s.Int64(2);
    m->time_ms = s.Int64(3);
  }));
  return txn.Commit();
}

Status SqliteStore::ListParams(int64_t attempt_id, std::vector<ParamRecord>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  Txn txn(db_.get(), Txn::Mode::kRead);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  MLOPS_RETURN_IF_ERROR(
      Exists("SELECT 1 FROM stage_attempts WHERE id = ?1", attempt_id, "attempt"));
  Stmt s;
  MLOPS_RETURN_IF_ERROR(
      db_->Prepare("SELECT key, value FROM params WHERE attempt_id = ?1 ORDER BY key", &s));
  s.Bind(1, attempt_id);
  MLOPS_RETURN_IF_ERROR(Collect(&s, out, [](const Stmt& s, ParamRecord* p) {
    p->key = s.Text(0);
    p->value = s.Text(1);
  }));
  return txn.Commit();
}

Status SqliteStore::EdgesOfAttempt(int64_t attempt_id, std::vector<ArtifactEdge>* out) {
  out->clear();
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db_->Prepare(
      Sql(kEdgeCols, "WHERE attempt_id = ?1 ORDER BY kind, name, artifact_sha256"), &s));
  s.Bind(1, attempt_id);
  return Collect(&s, out, ReadEdge);
}

Status SqliteStore::ListEdges(int64_t attempt_id, std::vector<ArtifactEdge>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  Txn txn(db_.get(), Txn::Mode::kRead);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  MLOPS_RETURN_IF_ERROR(
      Exists("SELECT 1 FROM stage_attempts WHERE id = ?1", attempt_id, "attempt"));
  MLOPS_RETURN_IF_ERROR(EdgesOfAttempt(attempt_id, out));
  return txn.Commit();
}

Status SqliteStore::FindCachedAttempt(const std::string& cache_key, StageAttemptRecord* attempt,
                                      std::vector<ArtifactEdge>* produced) {
  produced->clear();
  if (cache_key.empty()) return Status::NotFound("no cache key");
  std::lock_guard lock(mu_);
  Txn txn(db_.get(), Txn::Mode::kRead);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  MLOPS_RETURN_IF_ERROR(FindCached(cache_key, attempt, produced));
  return txn.Commit();
}

Status SqliteStore::FindCachedOutputs(const std::string& cache_key, StageAttemptRecord* attempt,
                                      std::vector<ArtifactEdge>* produced,
                                      std::vector<ArtifactRecord>* artifacts) {
  produced->clear();
  artifacts->clear();
  if (cache_key.empty()) return Status::NotFound("no cache key");
  std::lock_guard lock(mu_);
  Txn txn(db_.get(), Txn::Mode::kRead);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  MLOPS_RETURN_IF_ERROR(FindCached(cache_key, attempt, produced));
  for (const ArtifactEdge& e : *produced) {
    ArtifactRecord a;
    MLOPS_RETURN_IF_ERROR(Artifact(e.artifact_sha256, &a));
    artifacts->push_back(std::move(a));
  }
  return txn.Commit();
}

Status SqliteStore::FindCached(const std::string& cache_key, StageAttemptRecord* attempt,
                               std::vector<ArtifactEdge>* produced) {
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(
        db_->Prepare(Sql(kAttemptCols,
                         "WHERE cache_key = ?1 AND status = 'succeeded' AND cache_hit = 0 "
                         "ORDER BY id DESC LIMIT 1"),
                     &s));
    s.Bind(1, cache_key);
    MLOPS_RETURN_IF_ERROR(One(&s, attempt, ReadAttempt, "cached result for " + cache_key));
  }
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db_->Prepare(
      Sql(kEdgeCols, "WHERE attempt_id = ?1 AND kind = 'produced' ORDER BY name, artifact_sha256"),
      &s));
  s.Bind(1, attempt->id);
  return Collect(&s, produced, ReadEdge);
}

Status SqliteStore::Artifact(const std::string& sha256, ArtifactRecord* out) {
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db_->Prepare(Sql(kArtifactCols, "WHERE sha256 = ?1"), &s));
  s.Bind(1, sha256);
  return One(&s, out, ReadArtifact, "artifact " + sha256);
}

Status SqliteStore::GetArtifact(const std::string& sha256, ArtifactRecord* out) {
  std::lock_guard lock(mu_);
  return Artifact(sha256, out);
}

Status SqliteStore::ListArtifacts(int limit, std::vector<ArtifactRecord>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  Stmt s;
  MLOPS_RETURN_IF_ERROR(
      db_->Prepare(Sql(kArtifactCols, "ORDER BY created_ms DESC, rowid DESC LIMIT ?1"), &s));
  s.Bind(1, limit > 0 ? limit : -1);
  return Collect(&s, out, ReadArtifact);
}

Status SqliteStore::EdgesOfArtifact(const std::string& sha256, EdgeKind kind,
                                    std::vector<ArtifactEdge>* out) {
  out->clear();
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db_->Prepare(
      Sql(kEdgeCols, "WHERE artifact_sha256 = ?1 AND kind = ?2 ORDER BY attempt_id, name"), &s));
  s.Bind(1, sha256);
  s.Bind(2, ToString(kind));
  return Collect(&s, out, ReadEdge);
}

Status SqliteStore::Lineage(const std::string& sha256, internal::LineageDirection d,
                            LineageGraph* out) {
  std::lock_guard lock(mu_);
  Txn txn(db_.get(), Txn::Mode::kRead);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  MLOPS_RETURN_IF_ERROR(internal::WalkLineage(this, sha256, d, out));
  return txn.Commit();
}

Status SqliteStore::LineageUpstream(const std::string& sha256, LineageGraph* out) {
  return Lineage(sha256, internal::LineageDirection::kUpstream, out);
}

Status SqliteStore::LineageDownstream(const std::string& sha256, LineageGraph* out) {
  return Lineage(sha256, internal::LineageDirection::kDownstream, out);
}

Status SqliteStore::InterruptUnfinished(int64_t now_ms, std::vector<int64_t>* run_ids) {
  std::lock_guard lock(mu_);
  run_ids->clear();
  Txn txn(db_.get(), Txn::Mode::kWrite);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(
        db_->Prepare("SELECT id FROM runs WHERE status IN ('queued', 'running') "
                     "UNION SELECT run_id FROM stage_attempts WHERE status = 'running' ORDER BY 1",
                     &s));
    MLOPS_RETURN_IF_ERROR(
        Collect(&s, run_ids, [](const Stmt& s, int64_t* id) { *id = s.Int64(0); }));
  }
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db_->Prepare(
        "UPDATE runs SET status = 'interrupted' WHERE status IN ('queued', 'running')", &s));
    MLOPS_RETURN_IF_ERROR(s.Run());
  }
  Stmt s;
  MLOPS_RETURN_IF_ERROR(
      db_->Prepare("UPDATE stage_attempts SET status = 'interrupted', finished_ms = ?1 "
                   "WHERE status = 'running'",
                   &s));
  s.Bind(1, now_ms);
  MLOPS_RETURN_IF_ERROR(s.Run());
  return txn.Commit();
}

Status SqliteStore::RecordFinishedAttempts(std::vector<AttemptResult>* results) {
  for (const AttemptResult& r : *results) MLOPS_RETURN_IF_ERROR(internal::CheckNewAttemptResult(r));
  std::lock_guard lock(mu_);
  Txn txn(db_.get(), Txn::Mode::kWrite);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  Status st;
  for (AttemptResult& r : *results) {
    st = Exists("SELECT 1 FROM runs WHERE id = ?1", r.attempt.run_id, "run");
    if (st.ok()) st = InsertAttempt(&r.attempt);
    if (st.ok()) st = InsertResultRows(r, r.attempt.id);
    if (!st.ok()) break;
  }
  if (st.ok()) st = txn.Commit();
  if (!st.ok()) {
    for (AttemptResult& r : *results) r.attempt.id = 0;  // rolled back
  }
  return st;
}

Status SqliteStore::ListRunEdges(int64_t run_id, std::vector<ArtifactEdge>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  Txn txn(db_.get(), Txn::Mode::kRead);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  MLOPS_RETURN_IF_ERROR(Exists("SELECT 1 FROM runs WHERE id = ?1", run_id, "run"));
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db_->Prepare(
      "SELECT e.attempt_id, e.artifact_sha256, e.kind, e.name FROM artifact_edges e "
      "JOIN stage_attempts a ON a.id = e.attempt_id WHERE a.run_id = ?1 "
      "ORDER BY e.attempt_id, e.kind, e.name, e.artifact_sha256",
      &s));
  s.Bind(1, run_id);
  MLOPS_RETURN_IF_ERROR(Collect(&s, out, ReadEdge));
  return txn.Commit();
}

Status SqliteStore::ListRunMetrics(int64_t run_id,
                                   std::vector<std::pair<int64_t, MetricRecord>>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  Txn txn(db_.get(), Txn::Mode::kRead);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  MLOPS_RETURN_IF_ERROR(Exists("SELECT 1 FROM runs WHERE id = ?1", run_id, "run"));
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db_->Prepare(
      "SELECT m.attempt_id, m.key, m.value, m.step, m.time_ms FROM metrics m "
      "JOIN stage_attempts a ON a.id = m.attempt_id WHERE a.run_id = ?1 "
      "ORDER BY m.attempt_id, m.id",
      &s));
  s.Bind(1, run_id);
  MLOPS_RETURN_IF_ERROR(Collect(&s, out, [](const Stmt& s, std::pair<int64_t, MetricRecord>* p) {
    p->first = s.Int64(0);
    p->second.key = s.Text(1);
    p->second.value = s.IsNull(2) ? std::numeric_limits<double>::quiet_NaN() : s.Double(2);
    p->second.step = s.Int64(3);
    p->second.time_ms = s.Int64(4);
  }));
  return txn.Commit();
}

}  // namespace

Status OpenSqliteStore(const std::string& path, std::unique_ptr<Store>* out) {
  std::unique_ptr<SqliteDb> db;
  MLOPS_RETURN_IF_ERROR(internal::OpenRegistryDb(path, &db));
  *out = std::make_unique<SqliteStore>(std::move(db));
  return Status::OK();
}

}  // namespace mlops::registry
