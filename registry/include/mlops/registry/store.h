// Store: the registry of pipelines, runs, stage attempts, params, metrics,
// artifacts and lineage edges.
//
// Two implementations: SqliteStore (the daemon's, durable) and MemoryStore
// (for unit tests); one conformance suite (tests/registry) runs against both.
// Thread-safety: every method may be called from any thread; each call is
// atomic (one transaction for the SQLite store).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "mlops/common/status.h"
#include "mlops/registry/records.h"

namespace mlops::registry {

class Store {
 public:
  virtual ~Store() = default;

  // Inserts the pipeline, or returns the existing one with the same name and
  // definition digest (taking rec->source_dir). Either way it becomes the
  // name's current definition. On success *rec holds the stored record, id
  // and created_ms set (created_ms = now when the caller left it 0).
  virtual Status UpsertPipeline(PipelineRecord* rec) = 0;
  // The definition of `name` upserted last. NotFound when none.
  virtual Status GetPipelineByName(const std::string& name, PipelineRecord* out) = 0;
  virtual Status GetPipeline(int64_t id, PipelineRecord* out) = 0;
  // The current definition of every pipeline name, ordered by name.
  virtual Status ListPipelines(std::vector<PipelineRecord>* out) = 0;

  // Inserts a run; on success run->id and run->pipeline_name are set.
  // NotFound when the pipeline does not exist.
  virtual Status CreateRun(RunRecord* run) = 0;
  // Replaces status, error, started/finished times, recovery_count and
  // fingerprint (results_run_id is set by CreateRun only).
  // NotFound when the run does not exist.
  virtual Status UpdateRun(const RunRecord& run) = 0;
  virtual Status GetRun(int64_t id, RunRecord* out) = 0;
  // Newest (highest id) first.
  virtual Status ListRuns(const RunFilter& filter, std::vector<RunRecord>* out) = 0;

  // Inserts an attempt in status kRunning (or kCached); sets rec->id.
  // NotFound when the run does not exist.
  virtual Status CreateAttempt(StageAttemptRecord* rec) = 0;
  // Records the end of an attempt and all it produced, atomically: after a
  // crash either all of it is there or none. Replaces the attempt's status,
  // exit_code, signal, error and finished_ms; reason, log_path, host and
  // started_ms only when set; cache_hit once true stays true. Params replace
  // same-named ones, metrics are appended, known artifacts are kept as they
  // are, duplicate edges are ignored. NotFound when the attempt does not
  // exist; InvalidArgument (and nothing written) for a malformed digest, an
  // edge of another attempt, or an edge naming an artifact neither in
  // `result.artifacts` nor stored.
  virtual Status FinishAttempt(const AttemptResult& result) = 0;
  // The scheduler's step from one attempt to the next: records the end of
  // each attempt in `ended` as FinishAttempt would, then, if `next` is not
  // null, creates it as CreateAttempt would (setting next->id), all in one
  // transaction. All or nothing: on any error nothing is written and
  // next->id is left 0. Errors as for FinishAttempt and CreateAttempt.
  virtual Status FinishAttemptsThenCreate(const std::vector<AttemptResult>& ended,
                                          StageAttemptRecord* next) = 0;
  virtual Status GetAttempt(int64_t id, StageAttemptRecord* out) = 0;
  // The List* below return NotFound when the run / attempt does not exist.
  // Attempts of a run ordered by id; metrics in insertion order; params by
  // key; edges consumed before produced, then by name.
  virtual Status ListAttempts(int64_t run_id, std::vector<StageAttemptRecord>* out) = 0;
  virtual Status ListMetrics(int64_t attempt_id, std::vector<MetricRecord>* out) = 0;
  virtual Status ListParams(int64_t attempt_id, std::vector<ParamRecord>* out) = 0;
  virtual Status ListEdges(int64_t attempt_id, std::vector<ArtifactEdge>* out) = 0;

  // Newest succeeded (not cached) attempt with this cache key, and the
  // edges of what it produced, by name. NotFound when none, and always for
  // an empty key.
  virtual Status FindCachedAttempt(const std::string& cache_key, StageAttemptRecord* attempt,
                                   std::vector<ArtifactEdge>* produced) = 0;

  virtual Status GetArtifact(const std::string& sha256, ArtifactRecord* out) = 0;
  // Newest first, at most `limit` (<= 0: all).
  virtual Status ListArtifacts(int limit, std::vector<ArtifactRecord>* out) = 0;

  // From an artifact back to everything it was made from (the attempts that
  // produced it, what they consumed, recursively), with the runs of those
  // attempts. Only edges on the walked paths are included. Attempts and runs
  // come ordered by id, artifacts by digest, edges by (attempt, kind, name).
  // NotFound when the artifact is not registered.
  virtual Status LineageUpstream(const std::string& sha256, LineageGraph* out) = 0;
  // From an artifact forward to everything made from it; as above.
  virtual Status LineageDownstream(const std::string& sha256, LineageGraph* out) = 0;

  // Crash recovery: every run in kQueued or kRunning and every attempt in
  // kRunning becomes kInterrupted (attempts get finished_ms = now_ms). The
  // affected run ids are returned, ascending.
  virtual Status InterruptUnfinished(int64_t now_ms, std::vector<int64_t>* run_ids) = 0;

  // Batched forms for the scheduler's hot path and the API.

  // Records attempts that end as they are recorded (cache hits, stages that
  // could not start): each `attempt` (id 0, its final status set) with all
  // it adds, every one in one transaction, in order; sets each attempt.id
  // (edges may leave attempt_id 0). All or nothing: NotFound when a run does
  // not exist, InvalidArgument as for FinishAttempt.
  virtual Status RecordFinishedAttempts(std::vector<AttemptResult>* results) = 0;
  // FindCachedAttempt, plus the records of the produced artifacts
  // (artifacts[i] for produced[i]), in one read.
  virtual Status FindCachedOutputs(const std::string& cache_key, StageAttemptRecord* attempt,
                                   std::vector<ArtifactEdge>* produced,
                                   std::vector<ArtifactRecord>* artifacts) = 0;
  // Every edge of every attempt of a run, ordered by (attempt, kind, name).
  // NotFound when the run does not exist.
  virtual Status ListRunEdges(int64_t run_id, std::vector<ArtifactEdge>* out) = 0;
  // Every metric of every attempt of a run as (attempt id, metric), by
  // attempt, then in insertion order. NotFound when the run does not exist.
  virtual Status ListRunMetrics(int64_t run_id,
                                std::vector<std::pair<int64_t, MetricRecord>>* out) = 0;

  // Triggers: watched repositories, the commits seen on them, data
  // versions, and webhook deliveries (migration 2).

  // Inserts the repository, or updates the one with the same name: url,
  // branches and pipeline_path are replaced, its state (last_commit ..
  // next_poll_ms) is kept (taken from *rec on insert). On success *rec
  // holds the stored record. InvalidArgument for an empty name or a branch
  // that is empty or holds a line break.
  virtual Status UpsertRepository(RepositoryRecord* rec) = 0;
  virtual Status GetRepository(const std::string& name, RepositoryRecord* out) = 0;
  // Ordered by name.
  virtual Status ListRepositories(std::vector<RepositoryRecord>* out) = 0;
  // Replaces the state fields of the repository named rec.name. NotFound
  // when there is none.
  virtual Status UpdateRepositoryState(const RepositoryRecord& rec) = 0;

  // Records rec->sha seen on rec->branch of the repository named
  // rec->repository. Already recorded for that (repository, branch, sha):
  // *rec becomes the stored record and *inserted false. Otherwise inserted
  // as given (seen_ms = now when 0; run_ids are not read) and *inserted is
  // true. NotFound when the repository does not exist; InvalidArgument for
  // a sha that is not 40 lower-case hex or an empty branch.
  virtual Status RecordCommit(CommitRecord* rec, bool* inserted) = 0;
  // Replaces status, superseded_by and reason of commit rec.id and links
  // rec.run_ids to it (links already there stay). NotFound (and nothing
  // written) when the commit or one of the runs does not exist.
  virtual Status UpdateCommit(const CommitRecord& rec) = 0;
  virtual Status GetCommit(int64_t id, CommitRecord* out) = 0;
  // Newest (highest id) first.
  virtual Status ListCommits(const CommitFilter& filter, std::vector<CommitRecord>* out) = 0;

  // Records the digest of a watched data path. Equal to the path's current
  // version: *rec becomes that version and *is_new false. Otherwise a new
  // version is inserted (first_seen_ms = now when 0), the previous current
  // one gets superseded_by = its id, and *is_new is true (a path that goes
  // back to older content gets a new version too). InvalidArgument for an
  // empty path or a malformed digest.
  virtual Status RecordDataVersion(DataVersionRecord* rec, bool* is_new) = 0;
  virtual Status GetDataVersion(int64_t id, DataVersionRecord* out) = 0;
  // Newest first; only those of `path` unless it is empty; at most `limit`
  // (<= 0: all).
  virtual Status ListDataVersions(const std::string& path, int limit,
                                  std::vector<DataVersionRecord>* out) = 0;
  // Records that the run was made from the data version; idempotent.
  // NotFound when either does not exist.
  virtual Status LinkRunDataVersion(int64_t run_id, int64_t data_version_id) = 0;
  // The data versions a run was made from, by id. NotFound when the run
  // does not exist.
  virtual Status ListRunDataVersions(int64_t run_id, std::vector<DataVersionRecord>* out) = 0;
  // The runs made from a data version, by id (LineageDownstream of what
  // their attempts produced reaches the models). NotFound when the data
  // version does not exist.
  virtual Status ListDataVersionRuns(int64_t data_version_id, std::vector<RunRecord>* out) = 0;

  // Records an authenticated webhook delivery (received_ms = now when 0).
  // Conflict when (source, delivery_id) was recorded before, also by an
  // earlier daemon: a replay. InvalidArgument when either is empty.
  virtual Status RecordDelivery(const WebhookDeliveryRecord& rec) = 0;
  // NotFound when the delivery was not recorded.
  virtual Status SetDeliveryResult(const std::string& source, const std::string& delivery_id,
                                   const std::string& result) = 0;
  // Forgets deliveries received before `before_ms`; *removed gets how many.
  virtual Status PruneDeliveries(int64_t before_ms, int64_t* removed) = 0;
};

// Opens (creating if needed, mode 0600) the SQLite registry at `path`: WAL,
// synchronous=NORMAL (in WAL mode a commit survives the death of the
// process, which is the requirement; only power loss may drop the last
// commits, and an fsync per commit would dominate short stages), foreign
// keys, busy timeout, numbered migrations in PRAGMA user_version. A schema
// newer than this build knows is refused with InvalidArgument naming both
// versions, and the file is left untouched.
Status OpenSqliteStore(const std::string& path, std::unique_ptr<Store>* out);

// In-memory store with the same semantics, for tests.
std::unique_ptr<Store> NewMemoryStore();

// PRAGMA integrity_check of the file on a connection of its own; OK only if
// it answers "ok", Corruption (listing the problems) otherwise.
Status CheckSqliteIntegrity(const std::string& path);

// The schema version this build writes.
int SchemaVersion();

}  // namespace mlops::registry
