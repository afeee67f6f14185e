// Retention on a real state folder: real files, the real SQLite registry
// answering through RegistryGuard, and the daemon's RetentionService thread
// collecting after a run ends.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>

#include "../registry/temp_dir.h"
#include "mlops/common/files.h"
#include "mlops/registry/model_registry.h"
#include "mlops/registry/store.h"
#include "retention/artifact_collector.h"
#include "retention/collector.h"
#include "retention/retention_service.h"
#include "server/registry_guard.h"

namespace mlops::retention {
namespace {

using namespace std::chrono_literals;
using registry::RunStatus;

class StateFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry::OpenSqliteStore(dir_.Join("registry.db"), &store_).ok());
    ASSERT_TRUE(registry::OpenSqliteModelRegistry(dir_.Join("registry.db"), &models_).ok());
    registry::PipelineRecord p;
    p.name = "p";
    p.definition_sha256 = std::string(64, '0');
    p.definition = "name: p\n";
    ASSERT_TRUE(store_->UpsertPipeline(&p).ok());
    pipeline_id_ = p.id;
    for (auto& l : config_.limits) l = FolderLimits();
    config_[FolderKind::kLogs].keep = 0;
    config_[FolderKind::kScratch].max_bytes = 1;
  }

  // A run in `status` with a log and a scratch file.
  int64_t AddRun(RunStatus status, int64_t finished_ms) {
    registry::RunRecord r;
    r.pipeline_id = pipeline_id_;
    r.queued_ms = 1;
    EXPECT_TRUE(store_->CreateRun(&r).ok());
    r.status = status;
    r.finished_ms = finished_ms;
    EXPECT_TRUE(store_->UpdateRun(r).ok());
    const std::string id = std::to_string(r.id);
    EXPECT_TRUE(MakeDirs(dir_.Join("logs/run-" + id)).ok());
    EXPECT_TRUE(WriteFileAtomic(dir_.Join("logs/run-" + id + "/train.1.log"), "log\n").ok());
    EXPECT_TRUE(MakeDirs(dir_.Join("scratch/run-" + id + "/train")).ok());
    EXPECT_TRUE(WriteFileAtomic(dir_.Join("scratch/run-" + id + "/train/tmp"), std::string(5000, 'x')).ok());
    return r.id;
  }
  bool Has(const std::string& rel) { return PathExists(dir_.Join(rel)); }

  testing::TempDir dir_;
  std::unique_ptr<registry::Store> store_;
  std::unique_ptr<registry::ModelRegistry> models_;
  int64_t pipeline_id_ = 0;
  RetentionConfig config_;
  SystemClock clock_;
  RealStateFs fs_;
};

TEST_F(StateFolderTest, DryRunListsAndCollectRemovesOnlyEndedRuns) {
  const int64_t done = AddRun(RunStatus::kSucceeded, 5);
  const int64_t failed = AddRun(RunStatus::kFailed, 5);
  const int64_t running = AddRun(RunStatus::kRunning, 0);
  const int64_t unsettled = AddRun(RunStatus::kInterrupted, 0);  // the next start resumes it
  ASSERT_TRUE(MakeDirs(dir_.Join("logs/.spare")).ok());
  ASSERT_TRUE(WriteFileAtomic(dir_.Join("logs/.spare/0.log"), "").ok());
  server::RegistryGuard guard(store_.get(), models_.get(), &clock_);
  Collector collector(dir_.path(), config_, &fs_, &clock_, &guard);
  ArtifactCollector artifacts(dir_.Join("artifacts"), dir_.path(), &fs_, &clock_, &guard);
  RetentionService service(&collector, &artifacts, 1h);

  CollectReport dry;
  ASSERT_TRUE(service.Collect(true, true, &dry).ok());
  std::set<std::string> listed;
  for (const auto& r : dry.removals) listed.insert(r.path);
  const std::string d = std::to_string(done), f = std::to_string(failed);
  EXPECT_EQ(listed, (std::set<std::string>{"logs/run-" + d, "logs/run-" + f, "scratch/run-" + d,
                                           "scratch/run-" + f}));
  EXPECT_GT(dry.bytes, 10000);  // two 5000-byte files at least
  EXPECT_EQ(dry.kept_in_use, 4);
  EXPECT_TRUE(Has("logs/run-" + d + "/train.1.log"));

  CollectReport done_report;
  ASSERT_TRUE(service.Collect(false, false, &done_report).ok());
  EXPECT_EQ(done_report.removals.size(), 4u);
  EXPECT_TRUE(done_report.errors.empty());
  for (const std::string& id : {d, f}) {
    EXPECT_FALSE(Has("logs/run-" + id));
    EXPECT_FALSE(Has("scratch/run-" + id));
  }
  for (int64_t id : {running, unsettled}) {
    EXPECT_TRUE(Has("logs/run-" + std::to_string(id) + "/train.1.log"));
    EXPECT_TRUE(Has("scratch/run-" + std::to_string(id) + "/train/tmp"));
  }
  EXPECT_TRUE(Has("logs/.spare/0.log"));
}

TEST_F(StateFolderTest, TheServiceCollectsARunSoonAfterItEnds) {
  server::RegistryGuard guard(store_.get(), models_.get(), &clock_);
  Collector collector(dir_.path(), config_, &fs_, &clock_, &guard);
  ArtifactCollector artifacts(dir_.Join("artifacts"), dir_.path(), &fs_, &clock_, &guard);
  // The periodic listing comes once, at start, while the run is active.
  RetentionService service(&collector, &artifacts, 1h, 10ms);
  const int64_t id = AddRun(RunStatus::kRunning, 0);
  const std::string log = "logs/run-" + std::to_string(id);
  service.Start();
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (collector.indexed(FolderKind::kLogs) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(collector.indexed(FolderKind::kLogs), 1u);
  EXPECT_TRUE(Has(log));

  registry::RunRecord r;
  ASSERT_TRUE(store_->GetRun(id, &r).ok());
  r.status = RunStatus::kSucceeded;
  r.finished_ms = 5;
  ASSERT_TRUE(store_->UpdateRun(r).ok());
  service.OnRunEnded(id);
  deadline = std::chrono::steady_clock::now() + 20s;
  const std::string scratch = "scratch/run-" + std::to_string(id);
  while ((Has(log) || Has(scratch)) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_FALSE(Has(log));
  EXPECT_FALSE(Has(scratch));
  service.Stop();
}

}  // namespace
}  // namespace mlops::retention
