// The scheduler's hooks the model registry relies on (fake runner,
// workspace and plugins, memory store): the attempt-env hook sees the run,
// pipeline, stage and its inputs and its variables reach the attempt; the
// run-finished hook sees every ended run once, with its final status.
#include <gtest/gtest.h>

#include "../scheduler/fakes.h"
#include "mlops/common/clock.h"
#include "mlops/registry/store.h"
#include "scheduler/scheduler.h"

namespace mlops::scheduler {
namespace {

using Kind = AttemptOutcome::Kind;
constexpr std::chrono::milliseconds kNoWait{0};

const char kChain[] = R"(version: 1
name: chain
stages:
  - {name: train, uses: exec, run: "true", outputs: [train.out]}
  - {name: sign, uses: trainer, needs: [train], inputs: [train.out]}
model: {name: chain-model, artifact: train.train.out}
)";

class SchedulerHooksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SchedulerOptions opts;
    opts.capacity = Capacity{2, 0, 0};
    opts.attempt_env = [this](const AttemptStartContext& ctx, std::map<std::string, std::string>* env) {
      seen_.push_back(ctx.stage->name + "@" + std::to_string(ctx.run->id) + ":" + ctx.stage->uses);
      inputs_[ctx.stage->name] = ctx.inputs;
      EXPECT_TRUE(ctx.pipeline->model.has_value());
      EXPECT_GT(ctx.attempt_id, 0);
      (*env)["MLOPS_HOOK"] = ctx.stage->name;
    };
    opts.on_run_finished = [this](const registry::RunRecord& run, const pipeline::Pipeline& p) {
      finished_.push_back(p.name + ":" + registry::ToString(run.status));
      // The hook runs before the end is stored, so that whoever sees the
      // run ended sees what the hook did; its attempts are stored already.
      registry::RunRecord stored;
      EXPECT_TRUE(store_->GetRun(run.id, &stored).ok());
      EXPECT_FALSE(registry::IsTerminal(stored.status)) << registry::ToString(stored.status);
      EXPECT_TRUE(registry::IsTerminal(run.status));
      std::vector<registry::StageAttemptRecord> attempts;
      EXPECT_TRUE(store_->ListAttempts(run.id, &attempts).ok());
      EXPECT_FALSE(attempts.empty());
      for (const auto& a : attempts) EXPECT_NE(a.status, registry::AttemptStatus::kRunning) << a.stage;
    };
    sched_ = std::make_unique<Scheduler>(store_.get(), &runner_, &ws_, &plugins_, &clock_, opts);
    runner_.set_sink([this](AttemptOutcome o) { sched_->OnAttemptFinished(std::move(o)); });
    registry::PipelineRecord p;
    p.name = "chain";
    p.definition = kChain;
    p.definition_sha256 = Sha256Hex(kChain);
    p.source_dir = testing::FakeWorkspace::kSourceDir;
    ASSERT_TRUE(store_->UpsertPipeline(&p).ok());
  }

  int64_t Submit() {
    RunRequest r;
    r.pipeline = "chain";
    r.force = true;
    int64_t id = 0;
    EXPECT_TRUE(sched_->Submit(r, &id).ok());
    sched_->Step(kNoWait);
    return id;
  }

  void FinishAll(Kind kind) {
    for (int64_t id : runner_.RunningIds()) {
      const AttemptSpec& spec = runner_.spec(id);
      std::vector<OutputArtifact> outs;
      if (spec.env.at("MLOPS_STAGE") == "train" && kind == Kind::kSucceeded) {
        const std::string path = spec.work_dir + "/train.out";
        ws_.files[path] = "weights";
        outs.push_back({"train.out", path, "application/octet-stream"});
      }
      runner_.Finish(id, kind, outs, kind == Kind::kSucceeded ? "" : "boom");
    }
    sched_->Step(kNoWait);
  }

  std::unique_ptr<registry::Store> store_ = registry::NewMemoryStore();
  testing::FakeRunner runner_;
  testing::FakeWorkspace ws_;
  testing::FakePlugins plugins_;
  FakeClock clock_;
  std::unique_ptr<Scheduler> sched_;
  std::vector<std::string> seen_, finished_;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> inputs_;
};

TEST_F(SchedulerHooksTest, EnvHookSeesEachAttemptAndItsInputsAndFinishHookTheEnd) {
  const int64_t run = Submit();
  ASSERT_EQ(runner_.started.size(), 1u);
  EXPECT_EQ(runner_.started[0].env.at("MLOPS_HOOK"), "train");
  FinishAll(Kind::kSucceeded);
  ASSERT_EQ(runner_.started.size(), 2u);
  EXPECT_EQ(runner_.started[1].env.at("MLOPS_HOOK"), "sign");
  // The sign stage's declared input, with the digest the train stage made.
  ASSERT_FALSE(inputs_["sign"].empty());
  EXPECT_EQ(inputs_["sign"][0].first, "train.out");
  EXPECT_EQ(inputs_["sign"][0].second, Sha256Hex("weights"));
  EXPECT_TRUE(finished_.empty());
  FinishAll(Kind::kSucceeded);
  EXPECT_EQ(seen_, (std::vector<std::string>{"train@" + std::to_string(run) + ":exec",
                                             "sign@" + std::to_string(run) + ":trainer"}));
  EXPECT_EQ(finished_, (std::vector<std::string>{"chain:succeeded"}));
  registry::RunRecord stored;
  ASSERT_TRUE(store_->GetRun(run, &stored).ok());
  EXPECT_EQ(stored.status, registry::RunStatus::kSucceeded);  // stored right after the hook
}

TEST_F(SchedulerHooksTest, FinishHookAlsoSeesFailedRuns) {
  Submit();
  FinishAll(Kind::kFailed);
  EXPECT_EQ(finished_, (std::vector<std::string>{"chain:failed"}));
}

}  // namespace
}  // namespace mlops::scheduler
