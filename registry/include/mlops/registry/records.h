// Plain records stored by the registry. They carry no behaviour; every
// timestamp is wall-clock milliseconds since the Unix epoch (0 = not yet).
// The enums have lower-case names ("queued", "timed_out", "produced"): the
// ones stored in the database and shown by the API. Parse* returns false and
// leaves *out alone on an unknown name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mlops::registry {

struct PipelineRecord {
  int64_t id = 0;
  std::string name;
  std::string definition_sha256;  // SHA-256 of the pipeline file's bytes
  std::string definition;         // the pipeline file's bytes
  std::string source_dir;         // folder the runs' workspaces are made from
  int64_t created_ms = 0;
};

enum class RunStatus { kQueued, kRunning, kSucceeded, kFailed, kCancelled, kInterrupted };
const char* ToString(RunStatus s);
bool ParseRunStatus(const std::string& s, RunStatus* out);
inline bool IsTerminal(RunStatus s) {
  return s == RunStatus::kSucceeded || s == RunStatus::kFailed || s == RunStatus::kCancelled;
}

struct RunRecord {
  int64_t id = 0;
  int64_t pipeline_id = 0;
  std::string pipeline_name;  // filled on read
  std::string trigger;        // "manual", "git", "data", "webhook", "recovery"
  std::string reason;         // why it ran, for humans
  std::string commit;         // git commit id, empty when not from git
  bool force = false;         // ignore the stage cache
  RunStatus status = RunStatus::kQueued;
  std::string error;          // why it failed, empty otherwise
  int64_t queued_ms = 0;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  int recovery_count = 0;     // times restarted after a daemon crash
};

struct RunFilter {
  std::string pipeline;          // empty = any
  std::vector<RunStatus> status; // empty = any
  int64_t before_id = 0;         // paging: only ids < before_id (0 = newest)
  int limit = 50;                // <= 0: no limit
};

enum class AttemptStatus { kRunning, kSucceeded, kFailed, kTimedOut, kCancelled, kCached, kInterrupted };
const char* ToString(AttemptStatus s);
bool ParseAttemptStatus(const std::string& s, AttemptStatus* out);

struct StageAttemptRecord {
  int64_t id = 0;
  int64_t run_id = 0;
  std::string stage;
  int attempt = 1;               // 1-based per stage within a run
  std::string plugin_name;
  std::string plugin_version;
  std::string plugin_sha256;     // digest of the plugin file
  std::string params_json;       // the stage's `with` (and run/env) as canonical JSON
  std::string cache_key;         // SHA-256 of everything that decides the outputs
  AttemptStatus status = AttemptStatus::kRunning;
  int exit_code = -1;            // -1 when it did not exit normally
  int signal = 0;                // terminating signal, 0 when none
  bool cache_hit = false;
  std::string reason;            // why it ran ("no cached result", "--force", ...) or was reused
  std::string error;
  std::string log_path;
  std::string host;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
};

struct ArtifactRecord {
  std::string sha256;
  int64_t size = 0;
  std::string media_type;
  int64_t created_ms = 0;
};

struct MetricRecord {
  std::string key;
  double value = 0;
  int64_t step = 0;
  int64_t time_ms = 0;
};

struct ParamRecord {
  std::string key;
  std::string value;  // JSON text of the value
};

enum class EdgeKind { kConsumed, kProduced };
const char* ToString(EdgeKind k);
bool ParseEdgeKind(const std::string& s, EdgeKind* out);

// One lineage edge: a stage attempt consumed or produced an artifact under a
// logical name (metadata only, never a path on disk).
struct ArtifactEdge {
  int64_t attempt_id = 0;
  std::string artifact_sha256;
  EdgeKind kind = EdgeKind::kProduced;
  std::string name;
};

// Everything that a finished attempt adds, written in one transaction.
struct AttemptResult {
  StageAttemptRecord attempt;          // id must be set; status/exit/finished filled
  std::vector<MetricRecord> metrics;
  std::vector<ParamRecord> params;
  std::vector<ArtifactRecord> artifacts;   // inserted if new
  std::vector<ArtifactEdge> edges;         // attempt_id may be 0: taken from attempt.id
};

// The lineage around one artifact: attempts, the artifacts they touched and
// the edges between them, reached by walking in one direction.
struct LineageGraph {
  std::vector<StageAttemptRecord> attempts;
  std::vector<ArtifactRecord> artifacts;
  std::vector<ArtifactEdge> edges;
  std::vector<RunRecord> runs;
};

}  // namespace mlops::registry
