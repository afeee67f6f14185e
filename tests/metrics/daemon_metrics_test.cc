// mlopsd's families fed through the scheduler observer, the HTTP callback,
// the scheduler's gauges and the registry's timing decorator.
#include <gtest/gtest.h>

#include "metrics/daemon_metrics.h"
#include "metrics/timed_store.h"

namespace mlops::metrics {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(DaemonMetrics, CountsRunsAndAttemptsByPipelineAndStatus) {
  Registry r;
  DaemonMetrics m(&r, {"1.2.3", 7});
  m.RunFinished("train", "succeeded", 3);
  m.RunFinished("train", "succeeded", 5);
  m.RunFinished("train", "failed", 1);
  m.AttemptFinished("train", "exec", "succeeded", 2);
  m.AttemptFinished("train", "exec", "cached", 0);
  const std::string t = r.Expose();
  EXPECT_TRUE(Has(t, R"(mlopsd_runs_total{pipeline="train",status="succeeded"} 2)")) << t;
  EXPECT_TRUE(Has(t, R"(mlopsd_runs_total{pipeline="train",status="failed"} 1)"));
  EXPECT_TRUE(Has(t, R"(mlopsd_run_duration_seconds_count{pipeline="train"} 3)"));
  EXPECT_TRUE(Has(t, R"(mlopsd_run_duration_seconds_sum{pipeline="train"} 9)"));
  EXPECT_TRUE(Has(t, R"(mlopsd_stage_attempts_total{pipeline="train",plugin="exec",status="cached"} 1)"));
  // A cache hit did not run: it is not a duration sample.
  EXPECT_TRUE(Has(t, R"(mlopsd_stage_duration_seconds_count{pipeline="train",plugin="exec"} 1)"));
  EXPECT_TRUE(Has(t, R"(mlopsd_build_info{version="1.2.3",schema="7"} 1)"));
}

TEST(DaemonMetrics, LabelsRequestsByRoutePatternAndBoundedMethod) {
  Registry r;
  DaemonMetrics m(&r, {"1", 1});
  m.RequestFinished("GET", "/api/v1/runs/{id}", 200, 0.002);
  m.RequestFinished("BREW", "unmatched", 404, 0.001);
  const std::string t = r.Expose();
  EXPECT_TRUE(Has(t, R"(mlopsd_http_requests_total{method="GET",route="/api/v1/runs/{id}",code="200"} 1)"));
  EXPECT_TRUE(Has(t, R"(mlopsd_http_requests_total{method="other",route="unmatched",code="404"} 1)"));
  EXPECT_TRUE(Has(t, R"(mlopsd_http_request_duration_seconds_bucket{method="GET",le="0.0025"} 1)"));
  EXPECT_TRUE(Has(t, R"(mlopsd_http_request_seconds_total{method="GET",route="/api/v1/runs/{id}"} 0.002)"));
}

TEST(DaemonMetrics, ReadsSchedulerGaugesAtScrapeTime) {
  Registry r;
  DaemonMetrics m(&r, {"1", 1});
  scheduler::SchedulerStats stats;
  m.WatchScheduler([&stats] { return stats; }, scheduler::Capacity{4, 2, 0});
  stats.queued_runs = 3;
  stats.running_stages = 2;
  stats.gpus_in_use = 1;
  std::string t = r.Expose();
  EXPECT_TRUE(Has(t, "mlopsd_runs_queued 3"));
  EXPECT_TRUE(Has(t, "mlopsd_stages_running 2"));
  EXPECT_TRUE(Has(t, "mlopsd_gpu_slots_in_use 1"));
  EXPECT_TRUE(Has(t, "mlopsd_gpu_slots 2"));
  EXPECT_TRUE(Has(t, "mlopsd_cpu_slots 4"));
  stats.queued_runs = 0;
  EXPECT_TRUE(Has(r.Expose(), "mlopsd_runs_queued 0"));
}

TEST(DaemonMetrics, DeclaresTheFamiliesOfLaterSubsystemsWithoutSamples) {
  Registry r;
  DaemonMetrics m(&r, {"1", 1});
  const std::string t = r.Expose();
  for (const char* f : {"mlopsd_trigger_events_total counter", "mlopsd_webhook_deliveries_total counter",
                        "mlopsd_watcher_errors_total counter",
                        "mlopsd_watcher_last_success_timestamp_seconds gauge",
                        "mlopsd_model_versions gauge", "mlopsd_drift_score gauge"}) {
    EXPECT_TRUE(Has(t, std::string("# TYPE ") + f)) << f;
  }
  EXPECT_EQ(t.find("mlopsd_model_versions{"), std::string::npos);
  m.model_versions().With({"production"}).Set(1);
  EXPECT_TRUE(Has(r.Expose(), R"(mlopsd_model_versions{stage="production"} 1)"));
}

TEST(TimedStore, CountsAndTimesEveryOperationByResult) {
  Registry r;
  DaemonMetrics m(&r, {"1", 1});
  auto store = NewTimedStore(registry::NewMemoryStore(), &m.registry_operations(),
                             &m.registry_seconds(), &m.registry_latency());
  registry::PipelineRecord p;
  p.name = "train";
  p.definition = "x";
  p.definition_sha256 = std::string(64, 'a');
  ASSERT_TRUE(store->UpsertPipeline(&p).ok());
  registry::PipelineRecord got;
  ASSERT_TRUE(store->GetPipelineByName("train", &got).ok());
  EXPECT_EQ(got.id, p.id);
  EXPECT_TRUE(store->GetPipelineByName("nope", &got).IsNotFound());
  registry::RunRecord run;
  EXPECT_TRUE(store->GetRun(99, &run).IsNotFound());
  const std::string t = r.Expose();
  EXPECT_TRUE(Has(t, R"(mlopsd_registry_operations_total{operation="upsert_pipeline",result="ok"} 1)"));
  EXPECT_TRUE(Has(t, R"(mlopsd_registry_operations_total{operation="get_pipeline_by_name",result="ok"} 1)"));
  EXPECT_TRUE(Has(t, R"(mlopsd_registry_operations_total{operation="get_pipeline_by_name",result="not_found"} 1)"));
  EXPECT_TRUE(Has(t, R"(mlopsd_registry_operations_total{operation="get_run",result="not_found"} 1)"));
  EXPECT_NE(t.find(R"(mlopsd_registry_operation_seconds_total{operation="get_pipeline_by_name"} )"),
            std::string::npos);
  // Reads: two get_pipeline_by_name and one get_run; the write: the upsert.
  EXPECT_TRUE(Has(t, R"(mlopsd_registry_operation_duration_seconds_count{kind="read"} 3)"));
  EXPECT_TRUE(Has(t, R"(mlopsd_registry_operation_duration_seconds_count{kind="write"} 1)"));
  EXPECT_EQ(t.find(R"(mlopsd_registry_operation_duration_seconds_bucket{operation=)"), std::string::npos);
}

TEST(TimedStore, NamesEveryResult) {
  EXPECT_STREQ(ResultLabel(Status::OK()), "ok");
  EXPECT_STREQ(ResultLabel(Status::Conflict("x")), "conflict");
  EXPECT_STREQ(ResultLabel(Status::IOError("x")), "io_error");
  EXPECT_STREQ(ResultLabel(Status::PermissionDenied("x")), "permission_denied");
}

}  // namespace
}  // namespace mlops::metrics
