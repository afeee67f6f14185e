// Scheduler: turns submitted runs into stage attempts. One loop thread owns
// every active run (a RunPlan each), the ResourcePool and the stage cache
// decisions; other threads only Submit, Cancel and report outcomes, which
// reach the loop through an EventQueue.
//
// Up to date: Submit computes the run's fingerprint (run_fingerprint.h). A
// run without --force whose fingerprint equals that of the newest succeeded
// run of the same pipeline, whose results (produced artifacts) are all still
// stored, is recorded at once as succeeded, in one transaction, pointing at
// the run whose results stand (results_run_id): no workspace, no attempts.
// Any other run goes through the plan, where each stage may still be a
// cache hit; a run records its fingerprint when it succeeds having seen
// exactly the inputs the fingerprint describes.
//
// A run's end is committed to the registry before anyone is told it ended
// (the ended count behind `--wait`, the observer's metrics): a run record
// that cannot be written waits in a RunWriteBacklog and is retried with
// backoff, and while the registry refuses writes no stage starts and no
// attempt batch is written more often than the backoff allows, so a busy
// registry does not hold the loop for long (run_write_backlog.h).
//
// Registry writes: a real attempt costs two transactions (created when it
// starts, so that a crash leaves it "interrupted"; finished with all it
// produced). Attempts that end as they are decided (cache hits, stages that
// cannot start) are batched: one transaction per scheduling pass, written
// before the run's next real attempt starts and before the run ends.
//
// Queue: a submitted run waits, held compactly (no workspace, no plan), in
// submission order; the loop takes runs up oldest first while fewer than
// kWaitingRunsAhead taken-up runs wait for resources, so a step costs the
// same with 20 runs queued as with 20,000 (docs/operations.md).
//
// The OS seams are injected (Store, StageRunner, Workspace, PluginResolver,
// Clock), so unit tests drive Step() with fakes and a fake clock and never
// sleep. Thread-safety: Submit, Cancel, OnAttemptFinished and Stats are safe
// from any thread; Step, Run, Recover and Shutdown belong to the loop thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "mlops/common/clock.h"
#include "mlops/common/status.h"
#include "mlops/registry/store.h"
#include "process/stage_runner.h"
#include "scheduler/event_queue.h"
#include "scheduler/pipeline_cache.h"
#include "scheduler/plugin_resolver.h"
#include "scheduler/resource_pool.h"
#include "scheduler/run_write_backlog.h"
#include "scheduler/scheduler_observer.h"
#include "scheduler/workspace.h"

namespace mlops::scheduler {

// What the attempt-env hook is told about a starting attempt.
struct AttemptStartContext {
  const registry::RunRecord* run = nullptr;
  const pipeline::Pipeline* pipeline = nullptr;
  const pipeline::Stage* stage = nullptr;
  int64_t attempt_id = 0;
  int attempt = 1;
  // The stage's inputs as (logical name, sha256), declared ones first.
  std::vector<std::pair<std::string, std::string>> inputs;
};

struct SchedulerOptions {
  Capacity capacity;
  std::chrono::milliseconds kill_grace{std::chrono::seconds(5)};
  std::string host_name = "localhost";
  int max_recoveries = 1;  // times a run interrupted by a daemon stop is retried
  SchedulerObserver* observer = nullptr;  // optional; must outlive the scheduler
  size_t keep_workspaces = 20;  // workspaces of ended runs kept for inspection
  // Optional: called from Submit (any thread) once a run is recorded, with
  // the pipeline's `on.data` paths (e.g. to link the run to data versions).
  std::function<void(int64_t run_id, const std::vector<std::string>& data_paths)> on_run_created;
  // Optional: called on the loop thread when a real attempt starts (after it
  // is recorded), to add variables to its environment (e.g. the signing key
  // and provenance file for a signer stage).
  std::function<void(const AttemptStartContext& ctx, std::map<std::string, std::string>* env)>
      attempt_env;
  // Optional: called on the loop thread once a run has ended (succeeded,
  // failed or cancelled), with its final record, just before that record
  // is stored: whoever sees the run ended sees what this did (e.g. the
  // model version it registered). Its attempts are all stored by then.
  std::function<void(const registry::RunRecord& run, const pipeline::Pipeline& pipeline)>
      on_run_finished;
};

struct RunRequest {
  std::string pipeline;        // by name (newest definition) ...
  int64_t pipeline_id = 0;     // ... or by id when non-zero
  std::string trigger = "manual";
  std::string reason;
  std::string commit;
  bool force = false;          // ignore the stage cache
  std::string source_dir;      // overrides the pipeline's source folder
  int recovery_count = 0;
};

struct SchedulerStats {
  int active_runs = 0;
  int queued_runs = 0;        // submitted, no stage started yet
  int running_stages = 0;
  int gpus_in_use = 0;
  double cpus_in_use = 0;
  // Registry writes the scheduler could not make yet (run_write_backlog.h).
  int unrecorded_runs = 0;             // run records waiting to be written
  int64_t registry_stalled_since_ms = 0;  // first failure of the current streak; 0 when none
  uint64_t registry_failed_writes = 0;  // failed write attempts since start
  std::string registry_error;          // the streak's latest failure
};

class Scheduler {
 public:
  // How many taken-up runs may wait for resources before no more queued runs
  // are taken up: enough for small stages to pass a big one at the head of
  // the queue, few enough that a deep queue costs nothing per step.
  static constexpr int kWaitingRunsAhead = 16;

  // REQUIRES: every pointer outlives the scheduler.
  Scheduler(registry::Store* store, StageRunner* runner, Workspace* workspace,
            PluginResolver* plugins, Clock* clock, SchedulerOptions options);
  ~Scheduler();

  // Records a queued run and wakes the loop, or, when the run is up to
  // date, records it succeeded at once. On success *run_id is its id and,
  // if `record` is given, *record the run as recorded. NotFound when the
  // pipeline is unknown.
  Status Submit(const RunRequest& request, int64_t* run_id, registry::RunRecord* record = nullptr);
  // Asks the loop to cancel a run. NotFound for an unknown run, Conflict for
  // one already finished.
  Status Cancel(int64_t run_id);
  // Hand this to the StageRunner.
  void OnAttemptFinished(AttemptOutcome outcome);

  // Loop thread: waits up to `max_wait` for an event, handles every queued
  // event, starts what may start, finishes runs that are done.
  void Step(std::chrono::milliseconds max_wait);
  // Earliest time a backoff expires, if any (the loop must wake by then).
  std::optional<TimePoint> NextWake() const;
  // Runs Step until *stop; calls `on_tick` once per iteration (watchdog).
  void Run(const std::atomic<bool>* stop, const std::function<void()>& on_tick);
  void Wake() { queue_.Interrupt(); }
  // At start-up: runs left unfinished by an earlier daemon become
  // interrupted, then are resubmitted (up to max_recoveries) or failed.
  Status Recover();
  // Cancels running attempts, waits up to `grace` for them, and leaves the
  // still-active runs interrupted for the next start's Recover().
  void Shutdown(std::chrono::milliseconds grace);

  SchedulerStats Stats() const;
  bool Idle() const;  // no active run (test helper)

  // For API long polls, from any thread: how many runs have ended (final
  // or interrupted) so far, and a real-time wait until that count exceeds
  // `seen` or `timeout` passes. Returns the count.
  uint64_t RunsEnded() const;
  uint64_t WaitRunsEnded(uint64_t seen, std::chrono::milliseconds timeout) const;
  const PipelineCache& pipeline_cache() const { return pipelines_; }

 private:
  struct ActiveRun;
  struct RunningAttempt;
  struct Submitted;

  // The run whose results stand for a run of `pipeline` with this
  // fingerprint, or 0 when it must run.
  int64_t FindResultsThatStand(const std::string& pipeline, const std::string& fingerprint);
  // Moves a queued run into runs_ (its record read back, its workspace
  // made unless `make_workspace` is false, its plan built); false when it
  // could not be taken up (it is then failed, or left for Recover()).
  bool TakeUp(int64_t run_id, Submitted sub, bool make_workspace);
  // Takes up queued runs, oldest first, while fewer than
  // kWaitingRunsAhead taken-up runs wait to start. True when it took any.
  bool TakeUpQueued();
  void HandleCancel(int64_t run_id);
  void HandleFinished(AttemptOutcome outcome);
  void LaunchReady();
  bool StartStage(ActiveRun& run, int stage);
  bool TryReuseCached(ActiveRun& run, int stage, const std::string& key,
                      const std::vector<registry::ArtifactRecord>& inputs,
                      const std::vector<std::string>& input_names);
  void FailWithoutAttempt(ActiveRun& run, int stage, const std::string& error);
  // Writes what the run has decided or seen end and not yet written.
  void FlushFinished(ActiveRun& run);
  void FlushDecided(ActiveRun& run);  // attempts recorded ended at once
  void FlushEnded(ActiveRun& run);    // ends of attempts that ran
  // Clears the run's fingerprint when it saw other inputs than it describes.
  void CheckInput(ActiveRun& run, const std::string& name, const std::string& sha256);
  void FinishRunIfDone(ActiveRun& run);
  // Writes the attempt results kept in unrecorded_ (see there).
  void RetryUnrecordedAttempts();
  // Records that the run started (retried from the backlog if refused).
  void RecordStarted(ActiveRun& run);
  // Reports a run's end once its record is committed.
  void ReportRunEnd(const std::string& pipeline, const registry::RunRecord& run);
  void PublishStats();
  void NoteRunEnded();

  registry::Store* store_;
  StageRunner* runner_;
  Workspace* workspace_;
  PluginResolver* plugins_;
  Clock* clock_;
  SchedulerOptions options_;
  EventQueue queue_;
  ResourcePool pool_;
  PipelineCache pipelines_;  // thread-safe
  RunWriteBacklog writes_;   // loop thread
  // Attempt results of runs that failed because the registry refused them
  // for a lasting reason, written again (with writes_'s backoff) by
  // RetryUnrecordedAttempts.
  struct UnrecordedAttempts {
    std::vector<registry::AttemptResult> decided;  // RecordFinishedAttempts
    std::vector<registry::AttemptResult> ended;    // FinishAttemptsThenCreate
    int tries = 0;
    TimePoint retry_at{};
  };
  UnrecordedAttempts unrecorded_;  // loop thread

  // Loop-thread state.
  std::map<int64_t, std::unique_ptr<ActiveRun>> runs_;      // by run id (FIFO)
  std::map<int64_t, RunningAttempt> attempts_;              // by attempt id
  bool shutting_down_ = false;

  mutable std::mutex mu_;
  std::map<int64_t, Submitted> requests_;   // protected by mu_: queued, not yet taken up (FIFO)
  SchedulerStats stats_;                    // protected by mu_
  uint64_t runs_ended_ = 0;                 // protected by mu_
  mutable std::condition_variable run_ended_;
};

}  // namespace mlops::scheduler
