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
  // SHA-256 over what decides the results of a whole run (definition,
  // source folder, commit, plugin digests, declared input digests); set on a
  // run that succeeded with exactly those, empty otherwise. A later run with
  // the same fingerprint is up to date.
  std::string fingerprint;
  // Non-zero for a run found up to date: the run whose stages and artifacts
  // stand for it (it has no attempts of its own).
  int64_t results_run_id = 0;
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

// A watched git repository: its configuration (from the daemon's config)
// and the state of its polling.
struct RepositoryRecord {
  int64_t id = 0;
  std::string name;                   // unique; the key in the daemon's config
  std::string url;
  std::vector<std::string> branches;
  std::string pipeline_path;          // inside the repository
  // State: written only by UpdateRepositoryState.
  std::string last_commit;            // newest commit seen on a watched branch
  std::string last_error;             // empty when the last attempt succeeded
  int consecutive_failures = 0;       // for backoff
  int64_t last_attempt_ms = 0;
  int64_t last_success_ms = 0;
  int64_t next_poll_ms = 0;
  int64_t created_ms = 0;
};

// What became of a commit seen on a watched branch: it waits in the
// coalescing window (pending), started runs (triggered), was replaced by a
// newer commit of the same burst (superseded), or started nothing (ignored,
// e.g. no pipeline matched).
enum class CommitStatus { kPending, kTriggered, kSuperseded, kIgnored };
const char* ToString(CommitStatus s);
bool ParseCommitStatus(const std::string& s, CommitStatus* out);

struct CommitRecord {
  int64_t id = 0;
  int64_t repository_id = 0;     // filled on read
  std::string repository;        // the repository's name
  std::string sha;               // 40 lower-case hex
  std::string branch;
  std::string origin;            // who reported it: "poll", "gitlab", "github", "manual"
  int64_t seen_ms = 0;
  CommitStatus status = CommitStatus::kPending;
  std::string superseded_by;     // the newer commit, when superseded
  std::string reason;            // for humans
  std::vector<int64_t> run_ids;  // runs it started, ascending
};

struct CommitFilter {
  std::string repository;            // empty = any
  std::string branch;                // empty = any
  std::vector<CommitStatus> status;  // empty = any
  int64_t run_id = 0;                // only the commit(s) that started this run; 0 = any
  int limit = 50;                    // <= 0: no limit
};

// One content version of a watched data path (a file or a folder hashed as
// a whole).
struct DataVersionRecord {
  int64_t id = 0;
  std::string path;
  std::string sha256;
  int64_t size = 0;          // bytes of content
  int64_t file_count = 0;
  int64_t first_seen_ms = 0;
  int64_t superseded_by = 0;  // id of the path's next version; 0 while current
};

// An authenticated webhook delivery, kept so that a replay starts nothing.
struct WebhookDeliveryRecord {
  std::string source;       // "gitlab", "github"
  std::string delivery_id;  // Idempotency-Key / X-Gitlab-Event-UUID / X-GitHub-Delivery
  int64_t received_ms = 0;
  std::string result;       // what came of it, for humans
};

}  // namespace mlops::registry
