// The limits on one stage attempt, through a real ProcessStageRunner and
// both ways of starting hosts: the cap on its output (head and tail kept,
// the cut said in the log and the attempt) and a log that cannot be
// written (/dev/full stands for a full disk: it works unprivileged), and
// the memory limit by RLIMIT_DATA and, where this process may make
// cgroups (skipped, saying why, where not), by a cgroup per attempt.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "mlops/common/files.h"
#include "process/attempt_cgroups.h"
#include "process/attempt_harness.h"
#include "process/process_stage_runner.h"
#include "process/runner_fixture.h"

namespace mlops {
namespace {

using Kind = AttemptOutcome::Kind;
using testing::MakeSpec;

class StageLimitsTest : public testing::RunnerPathTest {
 protected:
  // A runner of its own with `options` changed by `edit`.
  AttemptOutcome RunWith(const std::function<void(ProcessStageRunnerOptions*)>& edit,
                         const AttemptSpec& spec) {
    ProcessStageRunnerOptions options = Options();
    edit(&options);
    testing::OutcomeCollector collector;
    ProcessStageRunner runner(options, collector.Callback());
    runner.Start(spec);
    AttemptOutcome out;
    EXPECT_TRUE(collector.Wait(spec.attempt_id, &out)) << "no outcome";
    return out;
  }
};

// 9 MiB of stdout, stderr and log calls under a 1 MiB cap: the log keeps
// the first and the last 512 KiB and says what it left out, and so does the
// attempt, which still succeeds.
TEST_P(StageLimitsTest, AFloodIsCutToTheHeadAndTheTail) {
  AttemptSpec spec = Fixture(1, "flood");
  AttemptOutcome out =
      RunWith([](ProcessStageRunnerOptions* o) { o->output_cap_bytes = 1 << 20; }, spec);
  EXPECT_EQ(out.kind, Kind::kSucceeded) << out.error;
  EXPECT_NE(out.error.find("stage output passed its cap of 1 MiB"), std::string::npos)
      << out.error;
  const std::string log = testing::ReadText(spec.log_path);
  EXPECT_LE(log.size(), (1u << 20) + 512);
  EXPECT_EQ(log.rfind("FLOOD-HEAD\n", 0), 0u);
  EXPECT_EQ(log.substr(log.size() - 11), "FLOOD-TAIL\n");
  EXPECT_NE(log.find("[mlopsd] stage output passed its cap of 1 MiB"), std::string::npos);
  // The tail holds the end of the log calls, the head the start of stdout.
  EXPECT_NE(log.find("[info] llll", log.size() - 4096), std::string::npos);
}

TEST_P(StageLimitsTest, OutputUnderTheCapIsKeptWhole) {
  AttemptSpec spec = Fixture(2, "flood");
  AttemptOutcome out =
      RunWith([](ProcessStageRunnerOptions* o) { o->output_cap_bytes = 64 << 20; }, spec);
  EXPECT_EQ(out.kind, Kind::kSucceeded) << out.error;
  EXPECT_EQ(out.error, "");
  const std::string log = testing::ReadText(spec.log_path);
  EXPECT_GT(log.size(), 9u << 20);
  EXPECT_EQ(log.find("[mlopsd]"), std::string::npos);
}

// A log that cannot be written ends the attempt as failed, naming why.
TEST_P(StageLimitsTest, ALogThatCannotBeWrittenFailsTheAttempt) {
  int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  if (full < 0) GTEST_SKIP() << "no /dev/full here: cannot stand in for a full disk";
  ::close(full);
  AttemptSpec spec = Fixture(3, "flood");
  spec.log_path = "/dev/full";
  AttemptOutcome out = Run(spec);
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_NE(out.error.find("the stage log /dev/full could not be written: No space left on device"),
            std::string::npos)
      << out.error;
}

// Without a cgroup the limit is RLIMIT_DATA: the hog's allocation fails
// well short of 512 MiB, and the attempt says which limit it ran under.
TEST_P(StageLimitsTest, MemoryLimitByRlimitFailsAHog) {
  AttemptSpec spec = Fixture(4, "memory_hog", R"({"mib": 512})");
  spec.memory_limit_bytes = 64 << 20;
  AttemptOutcome out = Run(spec);
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_NE(out.error.find("memory_hog: allocation failed after"), std::string::npos) << out.error;
  EXPECT_NE(out.error.find("memory limit of 64 MiB (RLIMIT_DATA)"), std::string::npos)
      << out.error;
}

// The twin: the same hog, smaller than the limit, succeeds (the limit is
// not set too low for the host itself to work).
TEST_P(StageLimitsTest, MemoryLimitByRlimitLetsAStageUnderItRun) {
  AttemptSpec spec = Fixture(5, "memory_hog", R"({"mib": 16})");
  spec.memory_limit_bytes = 64 << 20;
  AttemptOutcome out = Run(spec);
  EXPECT_EQ(out.kind, Kind::kSucceeded) << out.error;
}

// A command the stage starts inherits the limit: python3 cannot make a
// 512 MiB buffer under 64 MiB.
TEST_P(StageLimitsTest, MemoryLimitByRlimitHoldsForCommandsTheStageStarts) {
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3 here";
  AttemptSpec spec = MakeSpec(dir_, 6, MLOPS_EXEC_PLUGIN_PATH,
                              R"({"run": "/usr/bin/python3 -c 'b = bytearray(512 << 20)'"})");
  spec.memory_limit_bytes = 64 << 20;
  AttemptOutcome out = Run(spec);
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_NE(out.error.find("memory limit of 64 MiB (RLIMIT_DATA)"), std::string::npos)
      << out.error;
  EXPECT_NE(testing::ReadText(spec.log_path).find("MemoryError"), std::string::npos);
}

// With a cgroup per attempt (where this process may make them), the hog is
// OOM-killed and the attempt says it exceeded its limit.
TEST_P(StageLimitsTest, MemoryLimitByCgroupOomKillsAHog) {
  static AttemptCgroups cgroups;
  if (!cgroups.usable()) {
    Status s = cgroups.Setup();
    if (!s.ok()) GTEST_SKIP() << "no cgroup per attempt here: " << s.message();
  }
  AttemptSpec spec = Fixture(7, "memory_hog", R"({"mib": 512})");
  spec.memory_limit_bytes = 64 << 20;
  AttemptOutcome out =
      RunWith([](ProcessStageRunnerOptions* o) { o->cgroups = &cgroups; }, spec);
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_EQ(out.error.rfind("exceeded its memory limit of 64 MiB (killed by the kernel's OOM killer", 0), 0u)
      << out.error;
  EXPECT_FALSE(PathExists(cgroups.base() + "/attempt-7"));
}

INSTANTIATE_TEST_SUITE_P(Paths, StageLimitsTest, ::testing::Bool(),
                         [](const auto& info) { return testing::PathName(info.param); });

}  // namespace
}  // namespace mlops
