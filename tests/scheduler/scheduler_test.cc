// Scheduler unit tests: fake runner, fake workspace, memory store, fake clock.
// Nothing here sleeps or starts a process.
#include "scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "fakes.h"
#include "mlops/common/clock.h"
#include "mlops/registry/store.h"

namespace mlops::scheduler {
namespace {

using registry::AttemptStatus;
using registry::RunStatus;
using testing::FakePlugins;
using testing::FakeRunner;
using testing::FakeWorkspace;
using Kind = AttemptOutcome::Kind;
constexpr std::chrono::milliseconds kNoWait{0};

class RecordingObserver final : public SchedulerObserver {
 public:
  void RunFinished(const std::string& p, const std::string& status, double) override {
    runs.push_back(p + ":" + status);
  }
  void AttemptFinished(const std::string& p, const std::string& plugin, const std::string& status,
                       double) override {
    attempts.push_back(p + ":" + plugin + ":" + status);
  }
  std::vector<std::string> runs, attempts;
};

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override { MakeScheduler(Capacity{2, 0, 0}); }

  void MakeScheduler(Capacity cap) {
    SchedulerOptions opts;
    opts.capacity = cap;
    opts.observer = &observer_;
    sched_ = std::make_unique<Scheduler>(store_.get(), &runner_, &ws_, &plugins_, &clock_, opts);
    runner_.set_sink([this](AttemptOutcome o) { sched_->OnAttemptFinished(std::move(o)); });
  }

  void AddPipeline(const std::string& name, const std::string& yaml) {
    registry::PipelineRecord p;
    p.name = name;
    p.definition = yaml;
    p.definition_sha256 = Sha256Hex(yaml);
    ASSERT_TRUE(store_->UpsertPipeline(&p).ok());
  }

  int64_t Submit(const std::string& name, bool force = false) {
    RunRequest r;
    r.pipeline = name;
    r.force = force;
    int64_t id = 0;
    EXPECT_TRUE(sched_->Submit(r, &id).ok());
    sched_->Step(kNoWait);
    return id;
  }

  registry::RunRecord Run(int64_t id) {
    registry::RunRecord r;
    EXPECT_TRUE(store_->GetRun(id, &r).ok());
    return r;
  }

  std::vector<std::string> RunningStages() {
    std::vector<std::string> names;
    for (int64_t id : runner_.RunningIds()) {
      registry::StageAttemptRecord a;
      EXPECT_TRUE(store_->GetAttempt(id, &a).ok());
      names.push_back(a.stage);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  // Finishes every running attempt with success, creating declared outputs.
  void SucceedAll(const std::string& content = "x") {
    for (int64_t id : runner_.RunningIds()) {
      const AttemptSpec& spec = runner_.spec(id);
      std::vector<OutputArtifact> outs;
      auto params = spec.params_json;
      // Outputs are declared in the params; the fake writes "<stage>.out".
      registry::StageAttemptRecord a;
      ASSERT_TRUE(store_->GetAttempt(id, &a).ok());
      if (params.find("outputs") != std::string::npos) {
        std::string path = spec.work_dir + "/" + a.stage + ".out";
        ws_.files[path] = content + a.stage;
        outs.push_back({a.stage + ".out", path, "text/plain"});
      }
      runner_.Finish(id, Kind::kSucceeded, outs);
    }
    sched_->Step(kNoWait);
  }

  std::unique_ptr<registry::Store> store_ = registry::NewMemoryStore();
  FakeRunner runner_;
  FakeWorkspace ws_;
  FakePlugins plugins_;
  FakeClock clock_;
  RecordingObserver observer_;
  std::unique_ptr<Scheduler> sched_;
};

const char kDiamond[] = R"(version: 1
name: diamond
stages:
  - {name: a, uses: exec, run: "true", outputs: [a.out]}
  - {name: b, uses: exec, run: "true", needs: [a], outputs: [b.out]}
  - {name: c, uses: exec, run: "true", needs: [a], outputs: [c.out]}
  - {name: d, uses: exec, run: "true", needs: [b, c], outputs: [d.out]}
)";

TEST_F(SchedulerTest, DiamondRunsIndependentStagesInParallel) {
  AddPipeline("diamond", kDiamond);
  int64_t run = Submit("diamond");
  EXPECT_EQ(RunningStages(), (std::vector<std::string>{"a"}));
  SucceedAll();
  EXPECT_EQ(RunningStages(), (std::vector<std::string>{"b", "c"}));
  SucceedAll();
  EXPECT_EQ(RunningStages(), (std::vector<std::string>{"d"}));
  SucceedAll();
  EXPECT_EQ(Run(run).status, RunStatus::kSucceeded);
  std::vector<registry::StageAttemptRecord> attempts;
  ASSERT_TRUE(store_->ListAttempts(run, &attempts).ok());
  ASSERT_EQ(attempts.size(), 4u);
  for (const auto& a : attempts) {
    EXPECT_EQ(a.status, AttemptStatus::kSucceeded) << a.stage;
    EXPECT_FALSE(a.cache_hit);
    EXPECT_EQ(a.plugin_name, "exec");
    EXPECT_EQ(a.cache_key.size(), 64u);
  }
  EXPECT_TRUE(sched_->Idle());
  EXPECT_EQ(observer_.runs, (std::vector<std::string>{"diamond:succeeded"}));
  EXPECT_EQ(observer_.attempts.size(), 4u);
  EXPECT_EQ(observer_.attempts[0], "diamond:exec:succeeded");
}

TEST_F(SchedulerTest, CpuLimitHoldsBackAThirdStage) {
  AddPipeline("wide", R"(version: 1
name: wide
stages:
  - {name: a, uses: exec, run: "true"}
  - {name: b, uses: exec, run: "true"}
  - {name: c, uses: exec, run: "true"}
)");
  Submit("wide");
  EXPECT_EQ(runner_.Running(), 2);
  SucceedAll();
  EXPECT_EQ(runner_.Running(), 1);
  SucceedAll();
  EXPECT_EQ(runner_.Running(), 0);
}

TEST_F(SchedulerTest, FailedAttemptRetriesAfterBackoffOnly) {
  AddPipeline("retry", R"(version: 1
name: retry
stages:
  - {name: flaky, uses: exec, run: "true", retries: 2, retry_backoff: 10s}
)");
  int64_t run = Submit("retry");
  ASSERT_EQ(runner_.Running(), 1);
  runner_.Finish(runner_.RunningIds()[0], Kind::kFailed, {}, "exit 1");
  sched_->Step(kNoWait);
  EXPECT_EQ(runner_.Running(), 0);
  ASSERT_TRUE(sched_->NextWake().has_value());
  EXPECT_EQ(*sched_->NextWake() - clock_.Now(), std::chrono::seconds(10));
  clock_.Advance(std::chrono::seconds(9));
  sched_->Step(kNoWait);
  EXPECT_EQ(runner_.Running(), 0) << "retried before its backoff expired";
  clock_.Advance(std::chrono::seconds(1));
  sched_->Step(kNoWait);
  ASSERT_EQ(runner_.Running(), 1);
  // Second failure: backoff doubles.
  runner_.Finish(runner_.RunningIds()[0], Kind::kFailed, {}, "exit 1");
  sched_->Step(kNoWait);
  EXPECT_EQ(*sched_->NextWake() - clock_.Now(), std::chrono::seconds(20));
  clock_.Advance(std::chrono::seconds(20));
  sched_->Step(kNoWait);
  SucceedAll();
  EXPECT_EQ(Run(run).status, RunStatus::kSucceeded);
  std::vector<registry::StageAttemptRecord> attempts;
  ASSERT_TRUE(store_->ListAttempts(run, &attempts).ok());
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[0].status, AttemptStatus::kFailed);
  EXPECT_EQ(attempts[2].attempt, 3);
  EXPECT_NE(attempts[2].reason.find("retry 2 of 2"), std::string::npos) << attempts[2].reason;
}

TEST_F(SchedulerTest, ExhaustedRetriesFailTheRunAndSkipDownstream) {
  AddPipeline("diamond", kDiamond);
  int64_t run = Submit("diamond");
  runner_.Finish(runner_.RunningIds()[0], Kind::kFailed, {}, "command exited with code 3");
  sched_->Step(kNoWait);
  EXPECT_EQ(runner_.started.size(), 1u);
  registry::RunRecord r = Run(run);
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_NE(r.error.find("stage 'a' failed after 1 attempt: command exited with code 3"),
            std::string::npos) << r.error;
  EXPECT_EQ(observer_.runs, (std::vector<std::string>{"diamond:failed"}));
  EXPECT_EQ(observer_.attempts, (std::vector<std::string>{"diamond:exec:failed"}));
}

TEST_F(SchedulerTest, UnchangedSecondRunIsServedFromCache) {
  AddPipeline("diamond", kDiamond);
  Submit("diamond");
  for (int i = 0; i < 3; ++i) SucceedAll();
  const size_t started = runner_.started.size();
  int64_t second = Submit("diamond");
  EXPECT_EQ(runner_.started.size(), started) << "a cached stage was run again";
  EXPECT_EQ(Run(second).status, RunStatus::kSucceeded);
  std::vector<registry::StageAttemptRecord> attempts;
  ASSERT_TRUE(store_->ListAttempts(second, &attempts).ok());
  ASSERT_EQ(attempts.size(), 4u);
  for (const auto& a : attempts) {
    EXPECT_TRUE(a.cache_hit) << a.stage;
    EXPECT_EQ(a.status, AttemptStatus::kCached);
    EXPECT_NE(a.reason.find("cache hit"), std::string::npos);
  }
  // Outputs were put back into the new workspace.
  EXPECT_TRUE(ws_.files.count("/ws/run-" + std::to_string(second) + "/d.out"));
  // --force runs everything again.
  Submit("diamond", /*force=*/true);
  EXPECT_EQ(runner_.started.size(), started + 1);
}

TEST_F(SchedulerTest, ChangedInputReRunsOnlyItsStageAndDownstream) {
  AddPipeline("two", R"(version: 1
name: two
stages:
  - {name: a, uses: exec, run: "true", inputs: [in_a.csv], outputs: [a.out]}
  - {name: b, uses: exec, run: "true", inputs: [in_b.csv], outputs: [b.out]}
  - {name: c, uses: exec, run: "true", needs: [b], outputs: [c.out]}
)");
  ws_.source_files = {{"in_a.csv", "1"}, {"in_b.csv", "1"}};
  Submit("two");
  SucceedAll();
  SucceedAll();
  ws_.source_files["in_b.csv"] = "2";
  const size_t before = runner_.started.size();
  Submit("two");
  EXPECT_EQ(RunningStages(), (std::vector<std::string>{"b"}));
  SucceedAll("new");
  EXPECT_EQ(RunningStages(), (std::vector<std::string>{"c"}));
  SucceedAll();
  EXPECT_EQ(runner_.started.size(), before + 2);
}

TEST_F(SchedulerTest, MissingInputFailsWithItsName) {
  AddPipeline("p", R"(version: 1
name: p
stages:
  - {name: a, uses: exec, run: "true", inputs: [data/missing.csv]}
)");
  int64_t run = Submit("p");
  registry::RunRecord r = Run(run);
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_NE(r.error.find("input 'data/missing.csv' cannot be read"), std::string::npos) << r.error;
  EXPECT_TRUE(runner_.started.empty());
}

TEST_F(SchedulerTest, UnknownPluginFailsTheStage) {
  AddPipeline("p", R"(version: 1
name: p
stages:
  - {name: a, uses: nosuch}
)");
  registry::RunRecord r = Run(Submit("p"));
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_NE(r.error.find("unknown plugin 'nosuch'"), std::string::npos) << r.error;
}

TEST_F(SchedulerTest, GpuSlotsAreExclusive) {
  MakeScheduler(Capacity{4, 1, 0});
  AddPipeline("gpu", R"(version: 1
name: gpu
stages:
  - {name: a, uses: trainer, resources: {gpus: 1}}
  - {name: b, uses: trainer, resources: {gpus: 1}}
  - {name: cpu, uses: exec, run: "true"}
)");
  Submit("gpu");
  ASSERT_EQ(runner_.Running(), 2);  // one GPU stage and the cpu stage
  int gpu_stages = 0;
  for (int64_t id : runner_.RunningIds()) {
    const std::string dev = runner_.spec(id).env.at("CUDA_VISIBLE_DEVICES");
    if (!dev.empty()) {
      EXPECT_EQ(dev, "0");
      ++gpu_stages;
    }
  }
  EXPECT_EQ(gpu_stages, 1);
  EXPECT_EQ(sched_->Stats().gpus_in_use, 1);
  SucceedAll();
  ASSERT_EQ(runner_.Running(), 1);
  EXPECT_EQ(runner_.spec(runner_.RunningIds()[0]).env.at("CUDA_VISIBLE_DEVICES"), "0");
}

TEST_F(SchedulerTest, StageNeedingMoreGpusThanExistFails) {
  AddPipeline("p", R"(version: 1
name: p
stages:
  - {name: big, uses: trainer, resources: {gpus: 2}}
)");
  registry::RunRecord r = Run(Submit("p"));
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_NE(r.error.find("needs 2 GPU(s), this daemon has 0"), std::string::npos) << r.error;
}

TEST_F(SchedulerTest, CancelEndsRunningAttemptsAndStartsNothingElse) {
  AddPipeline("diamond", kDiamond);
  int64_t run = Submit("diamond");
  ASSERT_TRUE(sched_->Cancel(run).ok());
  sched_->Step(kNoWait);
  EXPECT_EQ(runner_.cancelled.size(), 1u);
  EXPECT_EQ(runner_.started.size(), 1u);
  EXPECT_EQ(Run(run).status, RunStatus::kCancelled);
  EXPECT_TRUE(sched_->Cancel(run).IsConflict());
  EXPECT_TRUE(sched_->Cancel(9999).IsNotFound());
}

TEST_F(SchedulerTest, RecoverRetriesInterruptedRunsOnce) {
  AddPipeline("diamond", kDiamond);
  int64_t run = Submit("diamond");
  // A new scheduler over the same store plays a restarted daemon.
  MakeScheduler(Capacity{2, 0, 0});
  ASSERT_TRUE(sched_->Recover().ok());
  registry::RunRecord old = Run(run);
  EXPECT_EQ(old.status, RunStatus::kInterrupted);
  EXPECT_NE(old.error.find("retried as run"), std::string::npos) << old.error;
  registry::RunFilter f;
  std::vector<registry::RunRecord> runs;
  ASSERT_TRUE(store_->ListRuns(f, &runs).ok());
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].trigger, "recovery");
  EXPECT_EQ(runs[0].recovery_count, 1);
  // Interrupted again: no further retry.
  MakeScheduler(Capacity{2, 0, 0});
  ASSERT_TRUE(sched_->Recover().ok());
  registry::RunRecord second = Run(runs[0].id);
  EXPECT_EQ(second.status, RunStatus::kFailed);
  EXPECT_NE(second.error.find("not retried again"), std::string::npos);
}

TEST_F(SchedulerTest, InvalidStoredPipelineFailsTheRunWithTheParserMessage) {
  AddPipeline("bad", "version: 1\nname: bad\nstages: 5\n");
  registry::RunRecord r = Run(Submit("bad"));
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_NE(r.error.find("invalid pipeline: bad.yaml:3:"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace mlops::scheduler
