// StageRunner: the OS seam through which the scheduler runs stage attempts.
// The real one (ProcessStageRunner) starts one stage-host child process per
// attempt; tests use a fake that "runs" an attempt by reporting an outcome.
//
// Start() never blocks on the attempt; its end arrives later as an
// AttemptOutcome through the callback given at construction, from any
// thread. Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace mlops {

struct InputArtifact {
  std::string name;  // logical name (the path as written in the pipeline)
  std::string path;  // absolute path the plugin reads
};

struct AttemptSpec {
  int64_t attempt_id = 0;        // the registry's id; also the runner's handle
  std::string plugin_path;       // absolute path of the plugin .so
  std::string params_json;       // JSON object handed to the plugin
  std::vector<InputArtifact> inputs;
  std::string work_dir;          // absolute; the run's workspace
  std::string scratch_dir;       // absolute; kept across attempts of a stage
  std::string log_path;          // stdout/stderr and plugin log lines go here
  std::map<std::string, std::string> env;  // added to the host's environment
  std::chrono::milliseconds timeout{std::chrono::hours(1)};
  std::chrono::milliseconds kill_grace{std::chrono::seconds(5)};  // SIGTERM -> SIGKILL
  // The stage's `resources.memory`; 0: none. The runner enforces it with a
  // cgroup of the attempt's own, or RLIMIT_DATA (docs/limits.md).
  int64_t memory_limit_bytes = 0;
  // Set by the runner: the attempt's cgroup folder; empty: none.
  std::string cgroup;
};

struct OutputArtifact {
  std::string name;
  std::string path;        // absolute
  std::string media_type;
};

struct AttemptMetric {
  std::string key;
  double value = 0;
  int64_t step = 0;
  int64_t time_ms = 0;
};

struct AttemptOutcome {
  enum class Kind {
    kSucceeded,   // the plugin reported MLOPS_OK and the host exited 0
    kFailed,      // reported an error, crashed, or exited without a result
    kTimedOut,    // the deadline passed; the process group was ended
    kCancelled,   // Cancel() was called; the process group was ended
    kStartFailed  // the host could not be started at all
  };
  int64_t attempt_id = 0;
  Kind kind = Kind::kFailed;
  int exit_code = -1;  // -1 when it did not exit normally
  int signal = 0;      // terminating signal, 0 when none
  std::string error;   // human-readable reason for anything but kSucceeded
  std::vector<OutputArtifact> outputs;
  std::vector<AttemptMetric> metrics;
  std::vector<std::pair<std::string, std::string>> params;  // key, JSON value
};

const char* ToString(AttemptOutcome::Kind kind);

class StageRunner {
 public:
  using OnFinished = std::function<void(AttemptOutcome)>;
  virtual ~StageRunner() = default;
  // Starts the attempt. The outcome (also for a failed start) arrives
  // through the OnFinished callback exactly once.
  virtual void Start(const AttemptSpec& spec) = 0;
  // Ends the attempt's whole process group (SIGTERM, grace, SIGKILL); its
  // outcome then arrives as kCancelled. Unknown ids are ignored.
  virtual void Cancel(int64_t attempt_id) = 0;
  // Number of attempts started and not yet reported.
  virtual int Running() const = 0;
};

}  // namespace mlops
