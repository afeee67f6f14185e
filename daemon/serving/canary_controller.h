// CanaryController: judges every canary in the registry once per window of
// its policy, from the counters mlops-serve publishes in stats.json, and acts
// (docs/serving.md "Canary"):
// - a limit broken in two consecutive judged windows: rollback (the
//   `canary` alias and row removed, so all traffic goes to production;
//   audited "canary.rollback" with the figures; on_rollback; a log line);
// - a window that holds: the next share step, or after the last step
//   promotion (policy auto, through `promote`, which runs every check of a
//   promotion again) or state `ready` (policy manual), audited with the
//   figures;
// - no decision (and the reason in StatusJson()) when stats.json is missing,
//   unreadable or stale, when mlops-serve restarted within the window (its
//   counters restarted: the window starts again), when it does not serve
//   both versions, or when the canary answered fewer than min_requests.
// A window that is not judged neither breaks nor continues a streak of
// broken windows. Windows are kept in memory: after a restart of mlopsd each
// canary starts a fresh window.
// Thread-safety: Tick() and StatusJson() may be called from any thread; Start()
// runs Tick() on a thread of its own until Stop() or destruction.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "mlops/common/clock.h"
#include "mlops/common/status.h"
#include "mlops/registry/model_registry.h"
#include "serving/canary_window.h"
#include "serving/shared/serve_stats.h"

namespace mlops::serving {

struct CanaryControllerOptions {
  std::string state_dir;  // where mlops-serve writes serving/stats.json
  std::chrono::milliseconds stale_after{10000};  // stats.json older than this is no data
  std::chrono::milliseconds tick{1000};          // Start()'s period
  // Promotes `version` of `model` to production (ModelService::Promote as
  // the daemon); a refusal leaves the canary `ready` with the reason.
  std::function<Status(const std::string& model, int64_t version, const std::string& reason)>
      promote;
  std::function<void(const std::string& model)> on_rollback;  // e.g. a metric
};

class CanaryController {
 public:
  // REQUIRES: `models` and `clock` outlive the controller.
  CanaryController(registry::ModelRegistry* models, Clock* clock, CanaryControllerOptions options);
  ~CanaryController();
  CanaryController(const CanaryController&) = delete;
  CanaryController& operator=(const CanaryController&) = delete;

  // One pass over every canary.
  void Tick();
  void Start();
  void Stop();

  // Per model with a canary: its window, breaches so far, the last judged
  // window's figures and why the last window was not judged, if it was not.
  nlohmann::json StatusJson();

 private:
  struct Track {
    int64_t version = 0;
    TimePoint window_start;
    bool have_baseline = false;
    int64_t pid = 0, started_ms = 0;
    int64_t production = 0;
    VersionStats canary_base, production_base;
    int breaches = 0;  // consecutive judged windows that broke a limit
    std::string note;  // why the last window was not judged ("" when it was)
    std::string last_verdict = "null";
    int64_t windows_judged = 0;
  };

  void TickOne(const registry::CanaryRecord& c, int64_t production, Track* t);
  // Starts a new window at now with `s` (if it has both versions) as base.
  void NewWindow(const ServeStats* s, const std::string& model, Track* t);
  void Act(const registry::CanaryRecord& c, const pipeline::CanaryPolicy& policy,
           const WindowVerdict& v, Track* t);
  void End(const registry::CanaryRecord& c, const std::string& action, const std::string& reason,
           const std::string& detail);

  registry::ModelRegistry* models_;
  Clock* clock_;
  CanaryControllerOptions options_;
  std::mutex mu_;  // tracks_; held through a tick
  std::map<std::string, Track> tracks_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mlops::serving
