// ProcessStageRunner: the StageRunner that runs every attempt in its own
// stage host process (`mlops-stage`, plugins/host), so that no plugin code
// ever runs inside the daemon.
//
// Each host starts in a new session and process group. One thread owns all
// of them: it spawns the hosts, reads their event pipes and waits on their
// pidfds through one epoll set, and enforces deadlines. A timeout or
// Cancel() sends SIGTERM to the attempt's group and, kill_grace later,
// SIGKILL. When a host has exited, whatever is left of its group is killed,
// and (if the host did not end cleanly) escaped processes are swept
// (stage_orphans.h) before the outcome is delivered. For that sweep to find
// processes that left the group, the daemon must have called
// BecomeChildSubreaper(). No SIGCHLD handler is installed and no child is
// reaped unless it is a stage host or an escaped stage process.
//
// Outcomes are delivered on the runner's thread, with no lock held: the
// callback may call Start(), Cancel() and Running().
// Thread-safety: Start, Cancel and Running may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "process/stage_runner.h"

namespace mlops {

struct ProcessStageRunnerOptions {
  // Absolute path of the mlops-stage executable.
  std::string stage_host_path;
  // Optional: each progress event, on the runner's thread.
  std::function<void(int64_t attempt_id, double fraction, const std::string& message)>
      on_progress;
  // How often escaped stage processes that died late are reaped.
  std::chrono::milliseconds orphan_sweep_interval{1000};
};

class ProcessStageRunner final : public StageRunner {
 public:
  ProcessStageRunner(ProcessStageRunnerOptions options, OnFinished on_finished);
  // Kills every running attempt's process group (SIGKILL), delivers their
  // outcomes (kCancelled) and those of attempts not yet started, then stops
  // the runner's thread.
  // REQUIRES: not called from the OnFinished callback.
  ~ProcessStageRunner() override;

  ProcessStageRunner(const ProcessStageRunner&) = delete;
  ProcessStageRunner& operator=(const ProcessStageRunner&) = delete;

  // Writes the spec file and starts the host on the runner's thread. A spec
  // that cannot be started (bad paths, missing host, an attempt_id already
  // running) is reported as kStartFailed.
  void Start(const AttemptSpec& spec) override;
  void Cancel(int64_t attempt_id) override;
  int Running() const override;

 private:
  class Loop;
  std::unique_ptr<Loop> loop_;
};

}  // namespace mlops
