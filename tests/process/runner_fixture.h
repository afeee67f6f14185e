// A GoogleTest fixture holding a ProcessStageRunner over the fixture
// plugins, for either way of starting stage hosts: every runner test runs
// through the fork servers (the default) and through hosts of their own.
// Header-only; used by the tests in tests/process.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "process/attempt_harness.h"
#include "process/process_stage_runner.h"
#include "process/stage_orphans.h"

namespace mlops::testing {

// "ForkServer" / "OwnHost", for test names.
inline std::string PathName(bool use_fork_server) {
  return use_fork_server ? "ForkServer" : "OwnHost";
}

template <typename Param>
class RunnerTest : public ::testing::TestWithParam<Param> {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(BecomeChildSubreaper().ok()); }

  void SetUp() override { runner_.emplace(Options(), collector_.Callback()); }

  virtual bool UseForkServer() const = 0;

  ProcessStageRunnerOptions Options() const {
    ProcessStageRunnerOptions o;
    o.stage_host_path = MLOPS_STAGE_HOST_PATH;
    o.use_fork_server = UseForkServer();
    return o;
  }

  AttemptOutcome Run(const AttemptSpec& spec) {
    runner_->Start(spec);
    AttemptOutcome out;
    EXPECT_TRUE(collector_.Wait(spec.attempt_id, &out)) << "no outcome for " << spec.attempt_id;
    return out;
  }

  AttemptSpec Fixture(int64_t id, const std::string& name, const std::string& params = "{}") {
    return MakeSpec(dir_, id, FixturePath(name), params);
  }

  TempDir dir_;
  OutcomeCollector collector_;
  std::optional<ProcessStageRunner> runner_;  // last: destroyed first
};

// The fixture for tests that take no parameter but the path.
class RunnerPathTest : public RunnerTest<bool> {
 protected:
  bool UseForkServer() const override { return GetParam(); }
};

}  // namespace mlops::testing
