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
  // definition digest. On success rec->id and rec->created_ms are set.
  virtual Status UpsertPipeline(PipelineRecord* rec) = 0;
  // Newest definition registered under `name`.
  virtual Status GetPipelineByName(const std::string& name, PipelineRecord* out) = 0;
  virtual Status GetPipeline(int64_t id, PipelineRecord* out) = 0;
  // Newest definition of every pipeline name, ordered by name.
  virtual Status ListPipelines(std::vector<PipelineRecord>* out) = 0;

  // Inserts a run; on success run->id is set. REQUIRES: pipeline exists.
  virtual Status CreateRun(RunRecord* run) = 0;
  // Replaces status, error, started/finished times and recovery_count.
  virtual Status UpdateRun(const RunRecord& run) = 0;
  virtual Status GetRun(int64_t id, RunRecord* out) = 0;
  // Newest first.
  virtual Status ListRuns(const RunFilter& filter, std::vector<RunRecord>* out) = 0;

  // Inserts an attempt in status kRunning (or kCached); sets rec->id.
  virtual Status CreateAttempt(StageAttemptRecord* rec) = 0;
  // Records the end of an attempt and all it produced, atomically: after a
  // crash either all of it is there or none.
  virtual Status FinishAttempt(const AttemptResult& result) = 0;
  virtual Status GetAttempt(int64_t id, StageAttemptRecord* out) = 0;
  // Attempts of a run ordered by id.
  virtual Status ListAttempts(int64_t run_id, std::vector<StageAttemptRecord>* out) = 0;
  virtual Status ListMetrics(int64_t attempt_id, std::vector<MetricRecord>* out) = 0;
  virtual Status ListParams(int64_t attempt_id, std::vector<ParamRecord>* out) = 0;
  virtual Status ListEdges(int64_t attempt_id, std::vector<ArtifactEdge>* out) = 0;

  // Newest succeeded (not cached) attempt with this cache key, and the
  // artifacts it produced. NotFound when none.
  virtual Status FindCachedAttempt(const std::string& cache_key, StageAttemptRecord* attempt,
                                   std::vector<ArtifactEdge>* produced) = 0;

  virtual Status GetArtifact(const std::string& sha256, ArtifactRecord* out) = 0;
  // Newest first, at most `limit`.
  virtual Status ListArtifacts(int limit, std::vector<ArtifactRecord>* out) = 0;

  // From an artifact back to everything it was made from (the attempts that
  // produced it, what they consumed, recursively).
  virtual Status LineageUpstream(const std::string& sha256, LineageGraph* out) = 0;
  // From an artifact forward to everything made from it.
  virtual Status LineageDownstream(const std::string& sha256, LineageGraph* out) = 0;

  // Crash recovery: every run in kQueued or kRunning and every attempt in
  // kRunning becomes kInterrupted (attempts get finished_ms = now_ms). The
  // affected run ids are returned.
  virtual Status InterruptUnfinished(int64_t now_ms, std::vector<int64_t>* run_ids) = 0;
};

// Opens (creating if needed) the SQLite registry at `path`: WAL,
// synchronous=FULL, foreign keys, busy timeout, numbered migrations in
// PRAGMA user_version. Refuses a schema newer than this build knows with a
// message naming both versions.
Status OpenSqliteStore(const std::string& path, std::unique_ptr<Store>* out);

// In-memory store with the same semantics, for tests.
std::unique_ptr<Store> NewMemoryStore();

// PRAGMA integrity_check of the file; OK only if it answers "ok".
Status CheckSqliteIntegrity(const std::string& path);

// The schema version this build writes.
int SchemaVersion();

}  // namespace mlops::registry
