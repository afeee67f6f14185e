// A registry that refuses writes (busy, locked) must not lose a run's end nor
// report it before it is committed: the scheduler keeps the record, retries
// it after a backoff, and shows the stall in its stats (metrics, /readyz).
// The first tests inject the refusal; the last holds a real SQLite write
// lock from a second connection, as an external tool can.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "../registry/temp_dir.h"
#include "fakes.h"
#include "mlops/common/clock.h"
#include "mlops/registry/store.h"
#include "scheduler/scheduler.h"

namespace mlops::scheduler {
namespace {

using registry::RunStatus;
using Kind = AttemptOutcome::Kind;
using testing::CountingStore;
using testing::FakePlugins;
using testing::FakeRunner;
using testing::FakeWorkspace;
constexpr std::chrono::milliseconds kNoWait{0};

const char kTwo[] = R"(version: 1
name: two
stages:
  - {name: a, uses: exec, run: "true"}
  - {name: b, uses: exec, run: "true", needs: [a]}
)";

class EndCounter final : public SchedulerObserver {
 public:
  void RunFinished(const std::string&, const std::string& status, double) override {
    ended.push_back(status);
  }
  void AttemptFinished(const std::string&, const std::string&, const std::string&, double) override {}
  std::vector<std::string> ended;
};

class RegistryBusyTest : public ::testing::Test {
 protected:
  void Build(registry::Store* store) {
    inner_ = store;
    counting_ = std::make_unique<CountingStore>(store);
    SchedulerOptions opts;
    opts.capacity = Capacity{2, 0, 0};
    opts.observer = &observer_;
    sched_ = std::make_unique<Scheduler>(counting_.get(), &runner_, &ws_, &plugins_, &clock_, opts);
    runner_.set_sink([this](AttemptOutcome o) { sched_->OnAttemptFinished(std::move(o)); });
    registry::PipelineRecord p{.name = "two", .definition_sha256 = Sha256Hex(kTwo),
                               .definition = kTwo, .source_dir = FakeWorkspace::kSourceDir};
    ASSERT_TRUE(store->UpsertPipeline(&p).ok());
    forced_.pipeline = p.name;
    forced_.force = true;
  }

  // A forced run of "two", loaded by the loop.
  int64_t Submit() {
    int64_t id = 0;
    EXPECT_TRUE(sched_->Submit(forced_, &id).ok());
    sched_->Step(kNoWait);
    return id;
  }
  void SucceedAll() {
    for (int64_t id : runner_.RunningIds()) runner_.Finish(id, Kind::kSucceeded);
    sched_->Step(kNoWait);
  }
  RunStatus Status(int64_t id) {
    registry::RunRecord r;
    EXPECT_TRUE(inner_->GetRun(id, &r).ok());
    return r.status;
  }
  // Lets every backoff expire and steps once.
  void RetryAfterBackoff() {
    clock_.Advance(std::chrono::seconds(3));
    sched_->Step(kNoWait);
  }

  RunRequest forced_;
  registry::Store* inner_ = nullptr;
  std::unique_ptr<CountingStore> counting_;
  FakeRunner runner_;
  FakeWorkspace ws_;
  FakePlugins plugins_;
  FakeClock clock_;
  EndCounter observer_;
  std::unique_ptr<Scheduler> sched_;
};

TEST_F(RegistryBusyTest, RunEndIsReportedOnlyOnceCommittedAndIsRetriedUntilItIs) {
  auto memory = registry::NewMemoryStore();
  Build(memory.get());
  const int64_t run = Submit();
  SucceedAll();  // a
  counting_->fail["UpdateRun"] = Status::Unavailable("sqlite: database is locked");
  SucceedAll();  // b: the run ends, its record is refused

  SchedulerStats st = sched_->Stats();
  EXPECT_EQ(st.unrecorded_runs, 1);
  EXPECT_NE(st.registry_stalled_since_ms, 0);
  EXPECT_NE(st.registry_error.find("database is locked"), std::string::npos) << st.registry_error;
  EXPECT_EQ(sched_->RunsEnded(), 0u) << "reported ended before it was recorded";
  EXPECT_TRUE(observer_.ended.empty());
  EXPECT_FALSE(sched_->Idle());
  EXPECT_EQ(Status(run), RunStatus::kRunning);

  // Still refused: retried after each backoff, never dropped.
  const int before = counting_->calls("UpdateRun");
  RetryAfterBackoff();
  RetryAfterBackoff();
  EXPECT_GE(counting_->calls("UpdateRun"), before + 2);
  EXPECT_EQ(sched_->RunsEnded(), 0u);

  counting_->fail.clear();
  RetryAfterBackoff();
  EXPECT_EQ(Status(run), RunStatus::kSucceeded);
  EXPECT_EQ(sched_->RunsEnded(), 1u);
  EXPECT_EQ(observer_.ended, (std::vector<std::string>{"succeeded"}));
  st = sched_->Stats();
  EXPECT_EQ(st.unrecorded_runs, 0);
  EXPECT_EQ(st.registry_stalled_since_ms, 0);
  EXPECT_GE(st.registry_failed_writes, 3u);
  EXPECT_TRUE(sched_->Idle());
}

TEST_F(RegistryBusyTest, BusyAttemptWriteDelaysTheNextStageInsteadOfFailingIt) {
  auto memory = registry::NewMemoryStore();
  Build(memory.get());
  const int64_t run = Submit();
  counting_->fail["FinishAttemptsThenCreate"] = Status::Unavailable("sqlite: database is locked");
  SucceedAll();  // a ends; b cannot be recorded, so it does not start
  EXPECT_TRUE(runner_.RunningIds().empty());
  EXPECT_NE(sched_->Stats().registry_stalled_since_ms, 0);
  counting_->fail.clear();
  RetryAfterBackoff();
  ASSERT_EQ(runner_.RunningIds().size(), 1u);
  SucceedAll();
  EXPECT_EQ(Status(run), RunStatus::kSucceeded);
  std::vector<registry::StageAttemptRecord> attempts;
  ASSERT_TRUE(inner_->ListAttempts(run, &attempts).ok());
  ASSERT_EQ(attempts.size(), 2u);
  for (const auto& a : attempts) EXPECT_EQ(a.status, registry::AttemptStatus::kSucceeded) << a.stage;
}

// A second connection holds the write lock past the store's busy timeout:
// the end write fails for real, waits, and lands once the lock is gone.
TEST_F(RegistryBusyTest, EndWriteOutlastsAnExternalWriteLock) {
  mlops::testing::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string path = dir.Join("registry.db");
  std::unique_ptr<registry::Store> store;
  ASSERT_TRUE(registry::OpenSqliteStore(path, &store).ok());
  Build(store.get());
  const int64_t run = Submit();
  SucceedAll();  // a

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  SucceedAll();  // b: its end blocks for the busy timeout, then is refused
  EXPECT_NE(sched_->Stats().registry_stalled_since_ms, 0);
  EXPECT_EQ(sched_->RunsEnded(), 0u);
  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);

  for (int i = 0; i < 5 && sched_->RunsEnded() == 0; ++i) RetryAfterBackoff();
  EXPECT_EQ(sched_->RunsEnded(), 1u);
  EXPECT_EQ(sched_->Stats().unrecorded_runs, 0);
  // What a fresh connection (a crash and restart) finds.
  store.reset();
  ASSERT_TRUE(registry::OpenSqliteStore(path, &store).ok());
  registry::RunRecord r;
  ASSERT_TRUE(store->GetRun(run, &r).ok());
  EXPECT_EQ(r.status, RunStatus::kSucceeded);
}

}  // namespace
}  // namespace mlops::scheduler
