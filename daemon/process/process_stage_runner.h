// ProcessStageRunner: the StageRunner that runs every attempt in its own
// stage host process (`mlops-stage`, plugins/host), so that no plugin code
// ever runs inside the daemon.
//
// How a host is started (ProcessStageRunnerOptions::use_fork_server):
//  - through a fork server (the default): one `mlops-stage --serve` per
//    plugin file, started on first use, loads the plugin once and fork()s a
//    child per attempt (plugins/host/fork_server.h). That saves exec,
//    dynamic linking and dlopen per attempt. A server whose plugin file has
//    changed gets no new attempts and exits once idle; a server that dies
//    costs the attempts it was running (failed, naming its end) and is
//    started again for the next one.
//  - or one freshly executed `mlops-stage --plugin` per attempt.
// Either way each attempt's process starts a new session and process group,
// runs the attempt alike, and ends with the daemon (kill -9 included:
// plugins/host/parent_watch.h).
//
// One thread owns all of it: it starts the hosts (or asks the servers),
// reads their event pipes, waits on their pidfds (or the servers' replies)
// through one epoll set, and enforces deadlines. A timeout or Cancel()
// sends SIGTERM to the attempt's group and, kill_grace later, SIGKILL. When
// a host has exited, whatever is left of its group is killed, and (if the
// host did not end cleanly) escaped processes are swept before the outcome
// is delivered: by this runner (stage_orphans.h) for a host of its own, by
// the fork server (a child subreaper) for its children. For the runner's
// sweep to find processes that left the group, the daemon must have called
// BecomeChildSubreaper(). No SIGCHLD handler is installed and no child is
// reaped unless it is a stage host, a fork server or an escaped stage
// process.
//
// Outcomes are delivered on the runner's thread, with no lock held: the
// callback may call Start(), Cancel() and Running().
// Thread-safety: Start, Cancel and Running may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "process/attempt_cgroups.h"
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
  // Start attempts through one fork server per plugin file (the default)
  // rather than one freshly executed stage host per attempt. Outcomes are
  // the same either way.
  bool use_fork_server = true;
  // Optional: a folder on the logs' file system where the runner keeps a
  // few empty log files made ahead of time, while it is idle, so that
  // starting an attempt renames one instead of creating its log
  // (log_file_pool.h). Empty: every log is created when its attempt starts.
  std::string spare_log_dir;
  // The most bytes of a stage's stdout and stderr (its plugin's log calls
  // included) its log keeps per attempt: the first and the last half
  // (stage_output.h).
  uint64_t output_cap_bytes = uint64_t{64} << 20;
  // Optional, not owned: where attempts with a memory limit get a cgroup of
  // their own (attempt_cgroups.h). Null or not set up: RLIMIT_DATA.
  const AttemptCgroups* cgroups = nullptr;
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

  // Writes the spec and starts the host on the runner's thread. A spec
  // that cannot be started (bad paths, missing host, an attempt_id already
  // running) is reported as kStartFailed.
  void Start(const AttemptSpec& spec) override;
  void Cancel(int64_t attempt_id) override;
  int Running() const override;
  // Fork servers get no new attempts (those they run finish there): the
  // next attempt of each plugin starts a new server, which loads and checks
  // its plugin again (e.g. after a key was revoked).
  void RetireServers();

 private:
  class Loop;
  std::unique_ptr<Loop> loop_;
};

}  // namespace mlops
