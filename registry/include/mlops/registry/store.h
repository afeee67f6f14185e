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
  // Replaces status, error, started/finished times and recovery_count.
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
