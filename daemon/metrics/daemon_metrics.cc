#include "metrics/daemon_metrics.h"

namespace mlops::metrics {
namespace {

const std::string& MethodLabel(const std::string& method) {
  static const std::string kKnown[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
  static const std::string kOther = "other";
  for (const auto& m : kKnown) {
    if (m == method) return m;
  }
  return kOther;
}

}  // namespace

DaemonMetrics::DaemonMetrics(Registry* r, const BuildInfo& build)
    : registry_(r),
      runs_(r->AddCounter("mlopsd_runs_total",
                          "Runs that ended, by pipeline and final status (succeeded, failed, "
                          "cancelled, interrupted).",
                          {"pipeline", "status"})),
      run_duration_(r->AddHistogram("mlopsd_run_duration_seconds",
                                    "Seconds from a run being queued to its end, by pipeline.",
                                    {"pipeline"}, DurationBuckets())),
      attempts_(r->AddCounter("mlopsd_stage_attempts_total",
                              "Stage attempts that ended, by pipeline, plugin and status "
                              "(succeeded, failed, timed_out, cancelled, cached).",
                              {"pipeline", "plugin", "status"})),
      stage_duration_(r->AddHistogram("mlopsd_stage_duration_seconds",
                                      "Seconds a stage attempt ran (cache hits excluded), by "
                                      "pipeline and plugin.",
                                      {"pipeline", "plugin"}, DurationBuckets())),
      http_requests_(r->AddCounter("mlopsd_http_requests_total",
                                   "HTTP requests answered, by method, route pattern and status "
                                   "code; unknown paths count as route \"unmatched\".",
                                   {"method", "route", "code"})),
      http_seconds_(r->AddCounter("mlopsd_http_request_seconds_total",
                                  "Seconds spent answering HTTP requests, by method and route "
                                  "pattern.",
                                  {"method", "route"})),
      http_latency_(r->AddHistogram("mlopsd_http_request_duration_seconds",
                                    "Seconds taken to answer an HTTP request, by method.",
                                    {"method"}, LatencyBuckets())),
      registry_ops_(r->AddCounter("mlopsd_registry_operations_total",
                                  "Registry (SQLite) operations, by operation and result (ok or "
                                  "the error code).",
                                  {"operation", "result"})),
      registry_seconds_(r->AddCounter("mlopsd_registry_operation_seconds_total",
                                      "Seconds spent in registry operations, by operation.",
                                      {"operation"})),
      registry_latency_(r->AddHistogram("mlopsd_registry_operation_duration_seconds",
                                        "Seconds a registry operation took, by kind (read or "
                                        "write).",
                                        {"kind"}, LatencyBuckets())),
      trigger_events_(r->AddCounter("mlopsd_trigger_events_total",
                                    "Trigger events received, by source (git, data, webhook, "
                                    "drift, manual).",
                                    {"source"})),
      webhook_deliveries_(r->AddCounter("mlopsd_webhook_deliveries_total",
                                        "Webhook deliveries received, by result.", {"result"})),
      watcher_errors_(r->AddCounter("mlopsd_watcher_errors_total",
                                    "Errors of the repository and data watchers, by repository.",
                                    {"repo"})),
      watcher_last_success_(r->AddGauge("mlopsd_watcher_last_success_timestamp_seconds",
                                        "When a watcher last checked a repository successfully, "
                                        "in seconds since the Unix epoch.",
                                        {"repo"})),
      model_versions_(r->AddGauge("mlopsd_model_versions",
                                  "Model versions in the registry, by stage (none, staging, "
                                  "production, archived).",
                                  {"stage"})),
      drift_score_(r->AddGauge("mlopsd_drift_score",
                               "Latest drift score (population stability index) of a model's "
                               "input feature.",
                               {"model", "feature"})) {
  r->AddGauge("mlopsd_build_info",
              "Always 1; labels carry the mlopsd version and the registry schema version.",
              {"version", "schema"})
      .With({build.version, std::to_string(build.schema_version)})
      .Set(1);
}

void DaemonMetrics::RunSubmitted(const std::string&, const std::string& trigger) {
  trigger_events_.With({trigger}).Inc();
}

void DaemonMetrics::RunFinished(const std::string& pipeline, const std::string& status,
                                double seconds) {
  runs_.With({pipeline, status}).Inc();
  run_duration_.With({pipeline}).Observe(seconds);
}

void DaemonMetrics::AttemptFinished(const std::string& pipeline, const std::string& plugin,
                                    const std::string& status, double seconds) {
  attempts_.With({pipeline, plugin, status}).Inc();
  if (status != "cached") stage_duration_.With({pipeline, plugin}).Observe(seconds);
}

void DaemonMetrics::RequestFinished(const std::string& method, const std::string& route,
                                    int status, double seconds) {
  const std::string& m = MethodLabel(method);
  http_requests_.With({m, route, std::to_string(status)}).Inc();
  http_seconds_.With({m, route}).Inc(seconds);
  http_latency_.With({m}).Observe(seconds);
}

void DaemonMetrics::WatchScheduler(std::function<scheduler::SchedulerStats()> stats,
                                   const scheduler::Capacity& capacity) {
  Registry* r = registry_;
  r->AddGaugeFunc("mlopsd_runs_queued", "Runs submitted whose first stage has not started.",
                  [stats] { return stats().queued_runs; });
  r->AddGaugeFunc("mlopsd_runs_active", "Runs queued or running.",
                  [stats] { return stats().active_runs; });
  r->AddGaugeFunc("mlopsd_stages_running", "Stage attempts running now.",
                  [stats] { return stats().running_stages; });
  r->AddGaugeFunc("mlopsd_gpu_slots_in_use", "GPU slots held by running stages.",
                  [stats] { return stats().gpus_in_use; });
  r->AddGaugeFunc("mlopsd_cpu_slots_in_use", "CPU slots held by running stages.",
                  [stats] { return stats().cpus_in_use; });
  r->AddGaugeFunc("mlopsd_registry_unrecorded_runs",
                  "Run records (starts, ends) the registry refused and that wait to be written.",
                  [stats] { return stats().unrecorded_runs; });
  r->AddGaugeFunc("mlopsd_registry_write_stalled",
                  "1 while registry writes fail and are being retried, else 0.",
                  [stats] { return stats().registry_stalled_since_ms != 0 ? 1 : 0; });
  r->AddCounterFunc("mlopsd_registry_write_failures_total",
                    "Scheduler registry writes that failed and were retried or reported.",
                    [stats] { return static_cast<double>(stats().registry_failed_writes); });
  const double gpus = capacity.gpus, cpus = capacity.cpus;
  r->AddGaugeFunc("mlopsd_gpu_slots", "GPU slots the scheduler may hand out.",
                  [gpus] { return gpus; });
  r->AddGaugeFunc("mlopsd_cpu_slots", "CPU slots the scheduler may hand out.",
                  [cpus] { return cpus; });
}

}  // namespace mlops::metrics
