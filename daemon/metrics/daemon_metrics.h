// DaemonMetrics: every mlopsd_* family, declared in one place, and the
// adapters that feed them: the scheduler's observer, the HTTP server's
// per-request callback, and the scheduler's gauges read at scrape time.
//
// Families whose subsystem comes later (trigger events, webhook deliveries,
// watchers, model versions, drift) are declared here already, so that
// subsystem only updates them and dashboards can be built now; until then
// they expose HELP and TYPE without samples.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <functional>
#include <string>

#include "metrics/metric_registry.h"
#include "scheduler/resource_pool.h"
#include "scheduler/scheduler.h"
#include "scheduler/scheduler_observer.h"

namespace mlops::metrics {

struct BuildInfo {
  std::string version;
  int schema_version = 0;  // the registry's SQLite schema
};

class DaemonMetrics final : public scheduler::SchedulerObserver {
 public:
  // REQUIRES: `registry` outlives this; holds no mlopsd_* family yet.
  DaemonMetrics(Registry* registry, const BuildInfo& build);

  void RunSubmitted(const std::string& pipeline, const std::string& trigger) override;
  void RunFinished(const std::string& pipeline, const std::string& status,
                   double seconds) override;
  void AttemptFinished(const std::string& pipeline, const std::string& plugin,
                       const std::string& status, double seconds) override;

  // After each HTTP request. `route` is the router's pattern or "unmatched"
  // (never the raw path); a method outside the standard ones counts as
  // "other".
  void RequestFinished(const std::string& method, const std::string& route, int status,
                       double seconds);

  // Declares the scheduler's gauges, read from `stats` at each scrape.
  // REQUIRES: called once; `stats` safe from any thread.
  void WatchScheduler(std::function<scheduler::SchedulerStats()> stats,
                      const scheduler::Capacity& capacity);

  // For the registry's timing decorator (timed_store.h).
  Family<Counter>& registry_operations() { return registry_ops_; }
  Family<Counter>& registry_seconds() { return registry_seconds_; }
  Family<Histogram>& registry_latency() { return registry_latency_; }

  // Updated by subsystems still to come.
  Family<Counter>& trigger_events() { return trigger_events_; }          // {source}
  Family<Counter>& webhook_deliveries() { return webhook_deliveries_; }  // {result}
  Family<Counter>& watcher_errors() { return watcher_errors_; }          // {repo}
  Family<Gauge>& watcher_last_success() { return watcher_last_success_; }  // {repo}
  Family<Gauge>& model_versions() { return model_versions_; }            // {stage}
  Family<Gauge>& drift_score() { return drift_score_; }                  // {model, feature}

 private:
  Registry* registry_;
  Family<Counter>& runs_;
  Family<Histogram>& run_duration_;
  Family<Counter>& attempts_;
  Family<Histogram>& stage_duration_;
  Family<Counter>& http_requests_;
  Family<Counter>& http_seconds_;
  Family<Histogram>& http_latency_;
  Family<Counter>& registry_ops_;
  Family<Counter>& registry_seconds_;
  Family<Histogram>& registry_latency_;
  Family<Counter>& trigger_events_;
  Family<Counter>& webhook_deliveries_;
  Family<Counter>& watcher_errors_;
  Family<Gauge>& watcher_last_success_;
  Family<Gauge>& model_versions_;
  Family<Gauge>& drift_score_;
};

}  // namespace mlops::metrics
