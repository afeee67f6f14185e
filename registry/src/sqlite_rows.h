// How registry rows map to records: the column lists every SELECT of the
// SQLite store starts with, and the readers of one row of each. Internal to
// the registry library.
#pragma once

#include <string>
#include <type_traits>
#include <vector>

#include "mlops/common/status.h"
#include "mlops/registry/records.h"
#include "sqlite_db.h"

namespace mlops::registry::internal {

// Column lists, in the order the readers below expect.
inline constexpr const char* kPipelineCols =
    "SELECT id, name, definition_sha256, definition, source_dir, created_ms FROM pipelines ";
inline constexpr const char* kRunCols =
    "SELECT r.id, r.pipeline_id, p.name, r.triggered_by, r.reason, r.commit_id, r.force, "
    "r.status, r.error, r.queued_ms, r.started_ms, r.finished_ms, r.recovery_count, "
    "r.fingerprint, r.results_run_id "
    "FROM runs r JOIN pipelines p ON p.id = r.pipeline_id ";
inline constexpr const char* kAttemptCols =
    "SELECT id, run_id, stage, attempt, plugin_name, plugin_version, plugin_sha256, params_json, "
    "cache_key, status, exit_code, signal, cache_hit, reason, error, log_path, host, started_ms, "
    "finished_ms FROM stage_attempts ";
inline constexpr const char* kArtifactCols =
    "SELECT sha256, size, media_type, created_ms FROM artifacts ";
inline constexpr const char* kEdgeCols =
    "SELECT attempt_id, artifact_sha256, kind, name FROM artifact_edges ";

inline std::string Sql(const char* cols, const char* rest) { return std::string(cols) + rest; }

// Readers of the current row of a statement that selected the matching
// column list. Corruption when a stored enum name is unknown.
void ReadPipeline(const Stmt& s, PipelineRecord* p);
Status ReadRun(const Stmt& s, RunRecord* r);
Status ReadAttempt(const Stmt& s, StageAttemptRecord* a);
void ReadArtifact(const Stmt& s, ArtifactRecord* a);
Status ReadEdge(const Stmt& s, ArtifactEdge* e);

// Runs a prepared query and appends one record per row through `read`.
template <typename T, typename Read>
Status Collect(Stmt* s, std::vector<T>* out, Read read) {
  for (;;) {
    bool row = false;
    MLOPS_RETURN_IF_ERROR(s->Step(&row));
    if (!row) return Status::OK();
    T item;
    if constexpr (std::is_same_v<decltype(read(*s, &item)), Status>) {
      MLOPS_RETURN_IF_ERROR(read(*s, &item));
    } else {
      read(*s, &item);
    }
    out->push_back(std::move(item));
  }
}

// Reads exactly one record; NotFound(`what`) when the query has no row.
template <typename T, typename Read>
Status One(Stmt* s, T* out, Read read, const std::string& what) {
  std::vector<T> rows;
  MLOPS_RETURN_IF_ERROR(Collect(s, &rows, read));
  if (rows.empty()) return Status::NotFound(what + " not found");
  *out = std::move(rows.front());
  return Status::OK();
}

}  // namespace mlops::registry::internal
