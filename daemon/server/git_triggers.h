// GitTriggers: turns new commits on watched repositories into runs.
//
// One poller thread per repository fetches into the repository's bare cache
// (triggers::GitRepository) every poll interval, at once on Sync() (mlctl
// repos sync, the post-receive hook) and after a push webhook. Heads that
// moved are reported to a TriggerCoalescer: a push with no run of its branch
// queued is dispatched at once; pushes that arrive while one is queued
// become one run for the newest commit, dispatched when the queued run
// starts; the commits in between are recorded as superseded. A dispatcher thread takes due commits, reads the pipeline file
// from that exact commit, checks `on.git.branches`, checks the commit out
// into <state>/checkouts/<repo>/<commit> (nothing in the repository is
// executed) and submits a run whose workspace is a copy of that checkout.
//
// A failing remote (missing, refusing, hanging, corrupt) puts only its own
// repository in an error state with exponential backoff; the others and the
// API are unaffected, and no run starts from a half-fetched state.
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlops/common/clock.h"
#include "mlops/common/status.h"
#include "api/trigger_routes.h"
#include "mlops/registry/store.h"
#include "scheduler/scheduler.h"
#include "server/repo_config.h"

namespace mlops::metrics {
class DaemonMetrics;
}  // namespace mlops::metrics

namespace mlops::triggers {
class GitRepository;
class TriggerCoalescer;
}  // namespace mlops::triggers

namespace mlops::server {

class GitTriggers {
 public:
  using KnownPlugins = std::function<std::set<std::string>()>;
  // REQUIRES: pointers outlive this object.
  GitTriggers(registry::Store* store, scheduler::Scheduler* scheduler, Clock* clock,
              std::string state_dir, std::vector<RepoConfig> repos, KnownPlugins plugins);
  ~GitTriggers();

  // Optional: watcher, webhook and trigger counters go there. Call before Start().
  void SetMetrics(metrics::DaemonMetrics* metrics) { metrics_ = metrics; }

  // Opens every repository's cache and starts the threads. Fails on a bad
  // repository setting (name, url, branch); a remote that cannot be reached
  // is not an error here (it shows in the repository's state).
  Status Start();
  void Stop();

  // Fetch now. NotFound for an unknown repository.
  Status Sync(const std::string& repo);
  // A push webhook for `repo` ("gitlab" or "github"), authenticated on the
  // raw body before anything is parsed, with replay protection.
  // The answer's result is "queued", "duplicate", "ignored", "rejected" or "invalid".
  api::WebhookAnswer OnWebhook(const std::string& source, const std::string& repo,
                               const std::map<std::string, std::string>& headers,
                               const std::string& body);

  nlohmann::json ReposJson() const;
  Status RepoJson(const std::string& repo, nlohmann::json* out) const;

 private:
  struct Repo;
  void PollLoop(Repo* repo);
  void DispatchLoop();
  // Wakes the dispatcher now (a report came in, or Stop).
  void WakeDispatcher();
  // Releases the coalescer's hold on each branch whose triggered run has
  // left the queue. Dispatch thread only.
  void ReleaseStartedRuns(Repo* repo);
  api::WebhookAnswer HandleWebhook(const std::string& source, const std::string& repo,
                                   const std::map<std::string, std::string>& headers,
                                   const std::string& body);
  void Dispatch(const std::string& repo, const std::string& branch, const std::string& commit,
                const std::string& origin, const std::vector<std::string>& superseded);
  Status PrepareCheckout(Repo* repo, const std::string& commit, std::string* dir);
  void PruneCheckouts(Repo* repo, const std::string& base, const std::string& made);
  void ReportHeads(Repo* repo, const std::vector<std::pair<std::string, std::string>>& heads,
                   const std::string& origin);
  // Registry bookkeeping: the repository's heads survive restarts, each
  // commit's fate (pending, triggered, superseded, ignored, invalid,
  // failed) is recorded, and a delivery id is accepted once (Conflict after).
  void LoadRepoState(Repo* repo);
  void SaveRepoState(Repo* repo);
  void RecordCommit(const std::string& repo, const std::string& branch, const std::string& commit,
                    const std::string& status, int64_t run_id, const std::string& reason,
                    const std::string& origin, const std::string& superseded_by = "");
  Status RecordDelivery(const std::string& source, const std::string& delivery_id);

  registry::Store* store_;
  scheduler::Scheduler* scheduler_;
  Clock* clock_;
  std::string state_dir_;
  KnownPlugins plugins_;
  metrics::DaemonMetrics* metrics_ = nullptr;
  std::map<std::string, std::unique_ptr<Repo>> repos_;
  std::atomic<bool> stop_{false};
  std::mutex dispatch_mu_;
  std::condition_variable dispatch_cv_;
  bool dispatch_wake_ = false;  // protected by dispatch_mu_: a report came in
  std::thread dispatcher_;
};

}  // namespace mlops::server
