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
using testing::CountingStore;
using testing::FakePlugins;
using testing::FakeRunner;
using testing::FakeWorkspace;
using Kind = AttemptOutcome::Kind;
constexpr std::chrono::milliseconds kNoWait{0};

class RecordingObserver final : public SchedulerObserver {
 public:
  void RunSubmitted(const std::string& p, const std::string& trigger) override {
    submitted.push_back(p + ":" + trigger);
  }
  void RunFinished(const std::string& p, const std::string& status, double) override {
    runs.push_back(p + ":" + status);
  }
  void AttemptFinished(const std::string& p, const std::string& plugin, const std::string& status,
                       double) override {
    attempts.push_back(p + ":" + plugin + ":" + status);
  }
  std::vector<std::string> submitted, runs, attempts;
};

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override { MakeScheduler(Capacity{2, 0, 0}); }

  void MakeScheduler(Capacity cap) {
    SchedulerOptions opts;
    opts.capacity = cap;
    opts.observer = &observer_;
    opts.on_run_created = [this](int64_t id, const std::vector<std::string>& paths) {
      created_.emplace_back(id, paths);
    };
    sched_ = std::make_unique<Scheduler>(&counting_, &runner_, &ws_, &plugins_, &clock_, opts);
    runner_.set_sink([this](AttemptOutcome o) { sched_->OnAttemptFinished(std::move(o)); });
  }

  void AddPipeline(const std::string& name, const std::string& yaml) {
    registry::PipelineRecord p;
    p.name = name;
    p.definition = yaml;
    p.definition_sha256 = Sha256Hex(yaml);
    p.source_dir = FakeWorkspace::kSourceDir;
    ASSERT_TRUE(store_->UpsertPipeline(&p).ok());
  }

  int64_t Submit(const std::string& name, bool force = false, const std::string& commit = "") {
    RunRequest r;
    r.pipeline = name;
    r.force = force;
    r.commit = commit;
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

  std::vector<registry::StageAttemptRecord> Attempts(int64_t run) {
    std::vector<registry::StageAttemptRecord> attempts;
    EXPECT_TRUE(store_->ListAttempts(run, &attempts).ok());
    return attempts;
  }

  // Runs `name` to the end, finishing every attempt with success.
  int64_t RunToEnd(const std::string& name, bool force = false, const std::string& commit = "") {
    int64_t id = Submit(name, force, commit);
    for (int i = 0; i < 100 && runner_.Running() > 0; ++i) SucceedAll();
    EXPECT_TRUE(registry::IsTerminal(Run(id).status));
    return id;
  }

  std::unique_ptr<registry::Store> store_ = registry::NewMemoryStore();
  CountingStore counting_{store_.get()};
  FakeRunner runner_;
  FakeWorkspace ws_;
  FakePlugins plugins_;
  FakeClock clock_;
  RecordingObserver observer_;
  std::vector<std::pair<int64_t, std::vector<std::string>>> created_;
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
  EXPECT_EQ(observer_.submitted, (std::vector<std::string>{"diamond:manual"}));
  EXPECT_EQ(observer_.attempts.size(), 4u);
  EXPECT_EQ(observer_.attempts[0], "diamond:exec:succeeded");
}

TEST_F(SchedulerTest, AnEndedRunRetiresItsWorkspaceAndOnlyThen) {
  AddPipeline("one", "version: 1\nname: one\nstages:\n  - {name: a, uses: exec, run: \"true\"}\n");
  AddPipeline("two", "version: 1\nname: two\nstages:\n  - {name: b, uses: exec, run: \"true\"}\n");
  int64_t first = Submit("one");
  int64_t second = Submit("two");
  ASSERT_EQ(runner_.Running(), 2);
  // End the first run only: the second is still active when it retires.
  for (int64_t id : runner_.RunningIds()) {
    if (runner_.spec(id).env.at("MLOPS_RUN_ID") == std::to_string(first)) {
      runner_.Finish(id, Kind::kSucceeded);
    }
  }
  sched_->Step(kNoWait);
  ASSERT_EQ(ws_.retired, (std::vector<int64_t>{first}));
  EXPECT_EQ(ws_.last_keep, 20u);
  SucceedAll();
  ASSERT_EQ(ws_.retired, (std::vector<int64_t>{first, second}));
}

// 200 one-stage runs, two CPUs: only the runs that start, and a few
// waiting behind them, have a workspace at any time; all run, in order.
TEST_F(SchedulerTest, ADeepQueueIsTakenUpOldestFirstAsRoomAppears) {
  AddPipeline("one", "version: 1\nname: one\nstages:\n  - {name: a, uses: exec, run: \"true\"}\n");
  std::vector<int64_t> ids;
  for (int i = 0; i < 200; ++i) {
    RunRequest r;
    r.pipeline = "one";
    r.force = true;
    int64_t id = 0;
    ASSERT_TRUE(sched_->Submit(r, &id).ok());
    ids.push_back(id);
  }
  sched_->Step(kNoWait);
  EXPECT_EQ(runner_.Running(), 2);
  EXPECT_EQ(ws_.prepared.size(), 2u + Scheduler::kWaitingRunsAhead);
  EXPECT_EQ(sched_->Stats().queued_runs, 198);
  std::vector<int64_t> started_runs;
  for (int i = 0; i < 500 && runner_.Running() > 0; ++i) {
    for (int64_t id : runner_.RunningIds()) {
      started_runs.push_back(std::stoll(runner_.spec(id).env.at("MLOPS_RUN_ID")));
    }
    SucceedAll();
    EXPECT_LE(ws_.prepared.size() - ws_.retired.size(), 2u + Scheduler::kWaitingRunsAhead);
  }
  EXPECT_EQ(started_runs, ids);
  for (int64_t id : ids) EXPECT_EQ(Run(id).status, RunStatus::kSucceeded) << id;
  EXPECT_TRUE(sched_->Idle());
}

// Runs that end as soon as they are taken up do not hold the queue back
// until the next event: one step drains them all.
TEST_F(SchedulerTest, QueuedRunsThatFailAtOnceDrainInOneStep) {
  AddPipeline("p", "version: 1\nname: p\nstages:\n  - {name: big, uses: trainer, resources: {gpus: 2}}\n");
  std::vector<int64_t> ids;
  for (int i = 0; i < 3 * Scheduler::kWaitingRunsAhead; ++i) {
    RunRequest r;
    r.pipeline = "p";
    int64_t id = 0;
    ASSERT_TRUE(sched_->Submit(r, &id).ok());
    ids.push_back(id);
  }
  sched_->Step(kNoWait);
  for (int64_t id : ids) EXPECT_EQ(Run(id).status, RunStatus::kFailed) << id;
  EXPECT_TRUE(sched_->Idle());
}

TEST_F(SchedulerTest, CancellingAQueuedRunMakesNoWorkspace) {
  AddPipeline("one", "version: 1\nname: one\nstages:\n  - {name: a, uses: exec, run: \"true\"}\n");
  std::vector<int64_t> ids;
  for (int i = 0; i < 2 + Scheduler::kWaitingRunsAhead + 2; ++i) ids.push_back(Submit("one", true));
  const int64_t last = ids.back();
  ASSERT_EQ(std::count(ws_.prepared.begin(), ws_.prepared.end(), last), 0);
  ASSERT_TRUE(sched_->Cancel(last).ok());
  sched_->Step(kNoWait);
  EXPECT_EQ(Run(last).status, RunStatus::kCancelled);
  EXPECT_EQ(std::count(ws_.prepared.begin(), ws_.prepared.end(), last), 0);
  EXPECT_EQ(observer_.runs.back(), "one:cancelled");
  for (int i = 0; i < 100 && runner_.Running() > 0; ++i) SucceedAll();
  for (int64_t id : ids) {
    if (id != last) {
      EXPECT_EQ(Run(id).status, RunStatus::kSucceeded) << id;
    }
  }
}

TEST_F(SchedulerTest, RunCreatedHookGetsThePipelinesDataPaths) {
  AddPipeline("watch", "version: 1\nname: watch\non:\n  data: [/srv/data.csv, rel.csv]\n"
                       "stages:\n  - {name: a, uses: exec, run: \"true\"}\n");
  int64_t run = Submit("watch");
  ASSERT_EQ(created_.size(), 1u);
  EXPECT_EQ(created_[0].first, run);
  EXPECT_EQ(created_[0].second, (std::vector<std::string>{"/srv/data.csv", "rel.csv"}));
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

// The end of the attempts that made a stage ready and that stage's new
// attempt are one registry write; the ends are written before any attempt
// they made ready starts.
TEST_F(SchedulerTest, AnAttemptsEndAndTheNextAttemptAreOneWrite) {
  AddPipeline("diamond", kDiamond);
  const int64_t run = Submit("diamond");
  ASSERT_EQ(RunningStages(), (std::vector<std::string>{"a"}));
  counting_.Reset();
  SucceedAll();  // a ends; b and c start
  EXPECT_EQ(RunningStages(), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(counting_.calls("FinishAttemptsThenCreate"), 1);
  EXPECT_EQ(counting_.calls("CreateAttempt"), 1);
  EXPECT_EQ(counting_.calls("FinishAttempt"), 0);
  EXPECT_EQ(Attempts(run)[0].status, registry::AttemptStatus::kSucceeded);

  counting_.Reset();
  SucceedAll();  // b and c end together; d starts
  EXPECT_EQ(RunningStages(), (std::vector<std::string>{"d"}));
  EXPECT_EQ(counting_.writes(), 1);
  EXPECT_EQ(counting_.calls("FinishAttemptsThenCreate"), 1);

  counting_.Reset();
  SucceedAll();  // d ends: its end is written, then the run's
  EXPECT_EQ(counting_.calls("FinishAttemptsThenCreate"), 1);
  EXPECT_EQ(counting_.calls("UpdateRun"), 1);
  EXPECT_EQ(Run(run).status, RunStatus::kSucceeded);
  for (const auto& a : Attempts(run)) {
    EXPECT_EQ(a.status, registry::AttemptStatus::kSucceeded) << a.stage;
    EXPECT_GT(a.finished_ms, 0) << a.stage;
  }
}

// A registry that refuses the combined write fails the stage it would have
// started, and so the run, naming the registry's error.
TEST_F(SchedulerTest, ARefusedCombinedWriteFailsTheRun) {
  AddPipeline("diamond", kDiamond);
  const int64_t run = Submit("diamond");
  ASSERT_EQ(RunningStages(), (std::vector<std::string>{"a"}));
  counting_.fail["FinishAttemptsThenCreate"] = Status::IOError("disk full");
  SucceedAll();
  counting_.fail.clear();
  for (int i = 0; i < 10 && !registry::IsTerminal(Run(run).status); ++i) SucceedAll();
  const registry::RunRecord r = Run(run);
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_NE(r.error.find("disk full"), std::string::npos) << r.error;
  EXPECT_TRUE(runner_.RunningIds().empty());
}

// A full disk refuses the end of the last attempt and of the run: the run
// is not announced ended while the registry says otherwise, and once the
// registry takes writes again both are written, with no restart.
TEST_F(SchedulerTest, ARunEndTheRegistryRefusedIsWrittenOnceItCan) {
  AddPipeline("diamond", kDiamond);
  const int64_t run = Submit("diamond");
  ASSERT_EQ(RunningStages(), (std::vector<std::string>{"a"}));
  counting_.fail["FinishAttemptsThenCreate"] = Status::IOError("database or disk is full");
  counting_.fail["UpdateRun"] = Status::IOError("database or disk is full");
  SucceedAll();
  for (int i = 0; i < 10 && runner_.Running() > 0; ++i) SucceedAll();
  EXPECT_EQ(Run(run).status, RunStatus::kRunning);  // what the registry holds
  EXPECT_EQ(sched_->RunsEnded(), 0u);
  sched_->Step(kNoWait);
  EXPECT_EQ(Run(run).status, RunStatus::kRunning);
  counting_.fail.clear();
  // Written again once the backoff (at most 2 s) has passed.
  for (int i = 0; i < 5 && !registry::IsTerminal(Run(run).status); ++i) {
    clock_.Advance(std::chrono::seconds(2));
    sched_->Step(kNoWait);
  }
  const registry::RunRecord r = Run(run);
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_NE(r.error.find("database or disk is full"), std::string::npos) << r.error;
  EXPECT_EQ(Attempts(run)[0].status, registry::AttemptStatus::kSucceeded);
  EXPECT_EQ(sched_->RunsEnded(), 1u);
}

TEST_F(SchedulerTest, UnchangedSecondRunIsUpToDateInOneTransaction) {
  AddPipeline("diamond", kDiamond);
  const int64_t first = RunToEnd("diamond");
  const registry::RunRecord done = Run(first);
  ASSERT_EQ(done.status, RunStatus::kSucceeded);
  ASSERT_EQ(done.fingerprint.size(), 64u);
  EXPECT_EQ(done.results_run_id, 0);
  const size_t started = runner_.started.size();
  const size_t prepared = ws_.prepared.size();

  counting_.Reset();
  RunRequest r;
  r.pipeline = "diamond";
  r.reason = "nightly";
  int64_t second = 0;
  registry::RunRecord returned;
  ASSERT_TRUE(sched_->Submit(r, &second, &returned).ok());
  // Decided and recorded by Submit itself, before the loop ever ran.
  EXPECT_EQ(returned.status, RunStatus::kSucceeded);
  EXPECT_EQ(counting_.writes(), 1);
  EXPECT_EQ(counting_.calls("CreateRun"), 1);
  registry::RunRecord up = Run(second);
  EXPECT_EQ(up.status, RunStatus::kSucceeded);
  EXPECT_EQ(up.results_run_id, first);
  EXPECT_EQ(up.fingerprint, done.fingerprint);
  EXPECT_EQ(up.reason, "nightly; up to date: the results of run " + std::to_string(first) + " stand");
  EXPECT_GT(up.finished_ms, 0);
  // Counted by Submit itself, before the loop runs: whoever sees the run
  // ended sees it counted.
  EXPECT_EQ(observer_.runs,
            (std::vector<std::string>{"diamond:succeeded", "diamond:succeeded"}));
  sched_->Step(kNoWait);
  EXPECT_TRUE(Attempts(second).empty());
  EXPECT_EQ(runner_.started.size(), started);
  EXPECT_EQ(ws_.prepared.size(), prepared) << "an up-to-date run made a workspace";
  EXPECT_EQ(observer_.runs.size(), 2u) << "counted once";

  // The next one points at the run that holds the stages, not at an
  // up-to-date run.
  const int64_t third = Submit("diamond");
  EXPECT_EQ(Run(third).results_run_id, first);
  // The definition was parsed once for all three.
  EXPECT_EQ(sched_->pipeline_cache().parses(), 1);
}

TEST_F(SchedulerTest, ForceRunsEverythingAndItsResultsThenStand) {
  AddPipeline("diamond", kDiamond);
  RunToEnd("diamond");
  const size_t started = runner_.started.size();
  const int64_t forced = RunToEnd("diamond", /*force=*/true);
  EXPECT_EQ(runner_.started.size(), started + 4);
  for (const auto& a : Attempts(forced)) {
    EXPECT_FALSE(a.cache_hit) << a.stage;
    EXPECT_EQ(a.reason, "forced: the stage cache was ignored");
  }
  EXPECT_EQ(Run(forced).status, RunStatus::kSucceeded);
  EXPECT_EQ(Run(Submit("diamond")).results_run_id, forced);
}

TEST_F(SchedulerTest, ChangedCommitIsNotUpToDate) {
  AddPipeline("diamond", kDiamond);
  const int64_t first = RunToEnd("diamond", false, "abc");
  EXPECT_EQ(Run(Submit("diamond", false, "abc")).results_run_id, first);
  const size_t started = runner_.started.size();
  const int64_t other = RunToEnd("diamond", false, "def");
  EXPECT_EQ(Run(other).results_run_id, 0);
  EXPECT_EQ(runner_.started.size(), started + 4);  // the commit is in every stage's key
  EXPECT_EQ(Run(other).status, RunStatus::kSucceeded);
}

const char kDiamondWithInput[] = R"(version: 1
name: diamond
stages:
  - {name: a, uses: exec, run: "true", inputs: [data/a.csv], outputs: [a.out]}
  - {name: b, uses: exec, run: "true", needs: [a], outputs: [b.out]}
  - {name: c, uses: exec, run: "true", needs: [a], outputs: [c.out]}
  - {name: d, uses: exec, run: "true", needs: [b, c], inputs: [d.csv], outputs: [d.out]}
)";

TEST_F(SchedulerTest, ChangedLastInputRunsOnlyItsStageAndReusesTheRestInOneWrite) {
  AddPipeline("diamond", kDiamondWithInput);
  ws_.source_files = {{"data/a.csv", "1"}, {"d.csv", "1"}};
  const int64_t first = RunToEnd("diamond");
  ASSERT_EQ(Run(first).status, RunStatus::kSucceeded);
  const size_t started = runner_.started.size();

  ws_.source_files["d.csv"] = "2";
  counting_.Reset();
  const int64_t second = Submit("diamond");
  EXPECT_EQ(RunningStages(), (std::vector<std::string>{"d"}));
  // a, b and c: one cache lookup each, no per-attempt writes, one batch
  // written before d's attempt was created.
  EXPECT_EQ(counting_.calls("FindCachedOutputs"), 4);  // d's lookup misses
  EXPECT_EQ(counting_.calls("RecordFinishedAttempts"), 1);
  EXPECT_EQ(counting_.calls("CreateAttempt"), 1);
  EXPECT_EQ(counting_.calls("GetArtifact"), 0);
  EXPECT_EQ(counting_.calls("FindCachedAttempt"), 0);
  SucceedAll("new");
  EXPECT_EQ(runner_.started.size(), started + 1);
  ASSERT_EQ(Run(second).status, RunStatus::kSucceeded);
  EXPECT_EQ(Run(second).results_run_id, 0);
  auto attempts = Attempts(second);
  ASSERT_EQ(attempts.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(attempts[i].status, AttemptStatus::kCached) << attempts[i].stage;
    EXPECT_TRUE(attempts[i].cache_hit);
    EXPECT_NE(attempts[i].reason.find("cache hit"), std::string::npos);
  }
  EXPECT_EQ(attempts[3].stage, "d");
  EXPECT_EQ(attempts[3].status, AttemptStatus::kSucceeded);
  // Lineage of the cached stages: b consumed a's output, produced its own.
  std::vector<registry::ArtifactEdge> edges;
  ASSERT_TRUE(store_->ListEdges(attempts[1].id, &edges).ok());
  ASSERT_EQ(edges.size(), 2u);
  EXPECT_EQ(edges[0].name, "a.out");
  EXPECT_EQ(edges[1].name, "b.out");
  // The cached outputs were put back into the new workspace.
  const std::string ws = "/ws/run-" + std::to_string(second);
  EXPECT_TRUE(ws_.files.count(ws + "/a.out"));
  EXPECT_TRUE(ws_.files.count(ws + "/c.out"));

  // Now that run's results stand; and a changed first input runs all again.
  EXPECT_EQ(Run(Submit("diamond")).results_run_id, second);
  ws_.source_files["data/a.csv"] = "2";
  const int64_t third = RunToEnd("diamond");
  EXPECT_EQ(Run(third).results_run_id, 0);
  EXPECT_EQ(runner_.started.size(), started + 1 + 4);
}

// A rebuilt plugin (same name and version, another file digest) must not
// reuse the results of the old one: every stage that uses it runs again.
TEST_F(SchedulerTest, ChangedPluginDigestRunsItsStagesAgain) {
  AddPipeline("diamond", kDiamond);
  ASSERT_EQ(Run(RunToEnd("diamond")).status, RunStatus::kSucceeded);
  const size_t started = runner_.started.size();
  ASSERT_EQ(started, 4u);

  plugins_.sha256["exec"] = std::string(64, 'f');
  const int64_t second = RunToEnd("diamond");
  ASSERT_EQ(Run(second).status, RunStatus::kSucceeded);
  EXPECT_EQ(Run(second).results_run_id, 0);
  EXPECT_EQ(runner_.started.size(), started + 4);
  for (const auto& a : Attempts(second)) {
    EXPECT_EQ(a.status, AttemptStatus::kSucceeded) << a.stage;
    EXPECT_FALSE(a.cache_hit) << a.stage;
    EXPECT_EQ(a.plugin_sha256, std::string(64, 'f')) << a.stage;
  }
}

TEST_F(SchedulerTest, MissingArtifactMeansTheRunIsNotUpToDate) {
  AddPipeline("diamond", kDiamond);
  const int64_t first = RunToEnd("diamond");
  const size_t started = runner_.started.size();
  // c's output left the content store.
  std::vector<registry::ArtifactEdge> edges;
  ASSERT_TRUE(store_->ListRunEdges(first, &edges).ok());
  for (const auto& e : edges) {
    if (e.name == "c.out") ws_.store.erase(e.artifact_sha256);
  }
  const int64_t second = Submit("diamond");
  EXPECT_EQ(Run(second).results_run_id, 0);
  // a and b are cache hits; c's result is gone, so c runs again; its key is
  // unchanged, so d is a cache hit once c is done.
  EXPECT_EQ(RunningStages(), (std::vector<std::string>{"c"}));
  SucceedAll();
  EXPECT_EQ(Run(second).status, RunStatus::kSucceeded);
  EXPECT_EQ(runner_.started.size(), started + 1);
  EXPECT_EQ(Attempts(second).size(), 4u);
}

TEST_F(SchedulerTest, InputChangedAfterSubmitIsNotVouchedFor) {
  AddPipeline("late", R"(version: 1
name: late
stages:
  - {name: a, uses: exec, run: "true", outputs: [a.out]}
  - {name: b, uses: exec, run: "true", needs: [a], inputs: [in.csv], outputs: [b.out]}
)");
  ws_.source_files = {{"in.csv", "v1"}};
  const int64_t first = Submit("late");
  // The workspace copy changes before b reads it.
  ws_.files["/ws/run-" + std::to_string(first) + "/in.csv"] = "v2";
  SucceedAll();
  SucceedAll();
  ASSERT_EQ(Run(first).status, RunStatus::kSucceeded);
  EXPECT_EQ(Run(first).fingerprint, "") << "the run did not see the inputs it was submitted with";
  // So an unchanged source is not up to date with that run.
  const int64_t second = Submit("late");
  EXPECT_EQ(Run(second).results_run_id, 0);
}

TEST_F(SchedulerTest, InputMadeByAStageMustNotComeFromTheSource) {
  AddPipeline("made", R"(version: 1
name: made
stages:
  - {name: a, uses: exec, run: "true", outputs: [a.out]}
  - {name: b, uses: exec, run: "true", needs: [a], inputs: [a.out], outputs: [b.out]}
)");
  const int64_t first = RunToEnd("made");
  ASSERT_EQ(Run(first).fingerprint.size(), 64u);
  EXPECT_EQ(Run(Submit("made")).results_run_id, first);
  // A file of that name appears in the source folder: another fingerprint.
  ws_.source_files["a.out"] = "from the source";
  const int64_t second = Submit("made");
  EXPECT_EQ(Run(second).results_run_id, 0);
}

TEST_F(SchedulerTest, InputAppearingInTheSourceAfterSubmitIsNotVouchedFor) {
  AddPipeline("made", R"(version: 1
name: made
stages:
  - {name: a, uses: exec, run: "true", outputs: [a.out]}
  - {name: b, uses: exec, run: "true", needs: [a], inputs: [a.out], outputs: [b.out]}
)");
  RunRequest r;
  r.pipeline = "made";
  int64_t first = 0;
  ASSERT_TRUE(sched_->Submit(r, &first).ok());  // a.out: made by a stage
  ws_.source_files["a.out"] = "from the source";  // ... and then there before the copy
  sched_->Step(kNoWait);
  SucceedAll();
  SucceedAll();
  ASSERT_EQ(Run(first).status, RunStatus::kSucceeded);
  EXPECT_EQ(Run(first).fingerprint, "");
  ws_.source_files.erase("a.out");
  EXPECT_EQ(Run(Submit("made")).results_run_id, 0);
}

TEST_F(SchedulerTest, FailedRunIsNeverUpToDate) {
  AddPipeline("diamond", kDiamond);
  const int64_t failed = Submit("diamond");
  runner_.Finish(runner_.RunningIds()[0], Kind::kFailed, {}, "exit 1");
  sched_->Step(kNoWait);
  ASSERT_EQ(Run(failed).status, RunStatus::kFailed);
  EXPECT_EQ(Run(failed).fingerprint, "");
  const int64_t again = Submit("diamond");
  EXPECT_EQ(Run(again).results_run_id, 0);
  EXPECT_EQ(runner_.Running(), 1);
}

TEST_F(SchedulerTest, UnrecordedCacheHitsFailTheRun) {
  AddPipeline("diamond", kDiamondWithInput);
  ws_.source_files = {{"data/a.csv", "1"}, {"d.csv", "1"}};
  RunToEnd("diamond");
  ws_.source_files["d.csv"] = "2";
  counting_.fail["RecordFinishedAttempts"] = Status::IOError("disk full");
  const int64_t second = RunToEnd("diamond");
  const registry::RunRecord r = Run(second);
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_EQ(r.error, "registry: could not record 3 finished stage(s): disk full");
  EXPECT_EQ(r.fingerprint, "");
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

// A stop leaves runs never taken up queued in the registry (no write per
// run); the next start interrupts and retries them like the others.
TEST_F(SchedulerTest, RunsStillQueuedAtAStopAreRetriedByTheNextStart) {
  AddPipeline("one", "version: 1\nname: one\nstages:\n  - {name: a, uses: exec, run: \"true\"}\n");
  std::vector<int64_t> ids;
  for (int i = 0; i < 2 + Scheduler::kWaitingRunsAhead + 3; ++i) ids.push_back(Submit("one", true));
  sched_->Shutdown(std::chrono::milliseconds(0));
  EXPECT_EQ(Run(ids.front()).status, RunStatus::kInterrupted);
  EXPECT_EQ(Run(ids.back()).status, RunStatus::kQueued);
  MakeScheduler(Capacity{2, 0, 0});
  ASSERT_TRUE(sched_->Recover().ok());
  for (int64_t id : ids) {
    registry::RunRecord r = Run(id);
    EXPECT_EQ(r.status, RunStatus::kInterrupted) << id;
    EXPECT_NE(r.error.find("retried as run"), std::string::npos) << id << ": " << r.error;
  }
}

TEST_F(SchedulerTest, InvalidStoredPipelineFailsTheRunWithTheParserMessage) {
  AddPipeline("bad", "version: 1\nname: bad\nstages: 5\n");
  registry::RunRecord r = Run(Submit("bad"));
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_NE(r.error.find("invalid pipeline: bad.yaml:3:"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace mlops::scheduler
