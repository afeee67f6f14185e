// ProcessStageRunner with real stage host processes and the fixture plugins.
#include "process/process_stage_runner.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <tuple>

#include "process/attempt_harness.h"
#include "process/runner_fixture.h"
#include "process/stage_orphans.h"

namespace mlops {
namespace {

using namespace std::chrono_literals;
using testing::FixturePath;
using testing::MakeSpec;
using Kind = AttemptOutcome::Kind;

// Every test runs through fork servers and through hosts of their own.
class ProcessStageRunnerTest : public testing::RunnerPathTest {};

TEST_P(ProcessStageRunnerTest, ReporterSucceedsWithOutputsMetricsAndParams) {
  AttemptSpec spec = Fixture(1, "reporter");
  spec.inputs = {{"data.csv", "/data/data.csv"}};
  AttemptOutcome out = Run(spec);
  EXPECT_EQ(out.kind, Kind::kSucceeded) << out.error;
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_EQ(out.signal, 0);
  EXPECT_EQ(out.error, "");
  ASSERT_EQ(out.outputs.size(), 1u);
  EXPECT_EQ(out.outputs[0].name, "model");
  EXPECT_EQ(out.outputs[0].path, spec.work_dir + "/model.bin");
  EXPECT_EQ(out.outputs[0].media_type, "application/octet-stream");
  ASSERT_EQ(out.metrics.size(), 2u);
  EXPECT_EQ(out.metrics[0].key, "loss");
  EXPECT_DOUBLE_EQ(out.metrics[0].value, 0.25);
  EXPECT_EQ(out.metrics[0].step, 1);
  EXPECT_GT(out.metrics[0].time_ms, 1'600'000'000'000);
  EXPECT_EQ(out.metrics[1].key, "f1");
  using Param = std::pair<std::string, std::string>;
  EXPECT_EQ(out.params, (std::vector<Param>{
                            {"lr", "0.01"}, {"note", "\"not json\""}, {"fd3_cloexec", "true"}}));
  std::string log = testing::ReadText(spec.log_path);
  EXPECT_NE(log.find("[info] input data.csv=/data/data.csv"), std::string::npos) << log;
  EXPECT_NE(log.find("[warn] done reporting"), std::string::npos) << log;
  EXPECT_EQ(runner_->Running(), 0);
}

TEST_P(ProcessStageRunnerTest, ProgressReachesTheOptionalCallback) {
  std::mutex mu;
  std::vector<std::pair<int64_t, double>> seen;
  ProcessStageRunnerOptions options = Options();
  options.on_progress = [&](int64_t id, double fraction, const std::string& message) {
    std::lock_guard<std::mutex> lock(mu);
    if (message == "half way") seen.emplace_back(id, fraction);
  };
  testing::OutcomeCollector collector;
  {
    ProcessStageRunner runner(options, collector.Callback());
    runner.Start(Fixture(2, "reporter"));
    AttemptOutcome out;
    ASSERT_TRUE(collector.Wait(2, &out));
  }
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(seen, (std::vector<std::pair<int64_t, double>>{{2, 0.5}}));
}

// Runs `spec`, which must succeed, and returns what `probe` said of the
// host whose pid the fixture wrote to host.pid, asked inside the runner's
// callback, i.e. at the moment the outcome was delivered.
std::optional<bool> ProbeHostAtDelivery(const ProcessStageRunnerOptions& options,
                                        const AttemptSpec& spec,
                                        const std::function<bool(pid_t)>& probe) {
  const std::string pid_file = spec.work_dir + "/host.pid";
  std::mutex mu;
  std::optional<bool> answer;
  testing::OutcomeCollector collector;
  auto collect = collector.Callback();
  {
    ProcessStageRunner runner(options, [&](AttemptOutcome o) {
      {
        std::lock_guard<std::mutex> lock(mu);
        answer = probe(testing::ReadPid(pid_file));
      }
      collect(std::move(o));
    });
    runner.Start(spec);
    AttemptOutcome out;
    EXPECT_TRUE(collector.Wait(spec.attempt_id, &out));
    EXPECT_EQ(out.kind, Kind::kSucceeded) << out.error;
  }
  std::lock_guard<std::mutex> lock(mu);
  return answer;
}

// A success is delivered as soon as the host reports it, while the host is
// still exiting: here, tearing down the 256 MiB the fixture filled. The
// host must not have exited (its pidfd is not readable yet) at delivery.
TEST_P(ProcessStageRunnerTest, ASuccessIsDeliveredWhileTheHostIsStillExiting) {
  std::optional<bool> exited =
      ProbeHostAtDelivery(Options(), Fixture(31, "heavy_exit"), [](pid_t pid) {
        int pidfd = pid > 1 ? static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)) : -1;
        struct pollfd p = {pidfd, POLLIN, 0};
        bool gone = pidfd < 0 || ::poll(&p, 1, 0) != 0;
        if (pidfd >= 0) ::close(pidfd);
        return gone;
      });
  ASSERT_TRUE(exited.has_value());
  EXPECT_FALSE(*exited) << "the success waited for the host's exit";
}

// An attempt that holds GPUs is delivered only once its host is gone, so
// that the next attempt finds the GPUs free.
TEST_P(ProcessStageRunnerTest, AttemptHoldingGpusIsDeliveredOnceItsHostIsGone) {
  AttemptSpec spec = Fixture(30, "reporter");
  spec.env["CUDA_VISIBLE_DEVICES"] = "0";
  std::optional<bool> gone = ProbeHostAtDelivery(
      Options(), spec, [](pid_t pid) { return pid > 1 && testing::ProcessGone(pid); });
  ASSERT_TRUE(gone.has_value());
  EXPECT_TRUE(*gone) << "delivered while the host was still there";
}

TEST_P(ProcessStageRunnerTest, SegfaultFailsWithSignal) {
  AttemptOutcome out = Run(Fixture(3, "segfault"));
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_EQ(out.signal, SIGSEGV);
  EXPECT_EQ(out.exit_code, -1);
  EXPECT_EQ(out.error, "stage host killed by signal 11 (SIGSEGV)");
}

TEST_P(ProcessStageRunnerTest, AbortFailsWithSignal) {
  AttemptOutcome out = Run(Fixture(4, "abort"));
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_EQ(out.signal, SIGABRT);
  EXPECT_EQ(out.error, "stage host killed by signal 6 (SIGABRT)");
}

TEST_P(ProcessStageRunnerTest, ThrowingPluginFailsWithItsMessage) {
  AttemptOutcome out = Run(Fixture(5, "throw"));
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(out.signal, 0);
  EXPECT_EQ(out.error, "plugin throw threw an exception: fixture exploded");
}

TEST_P(ProcessStageRunnerTest, ExitZeroWithoutResultIsAFailure) {
  AttemptOutcome out = Run(Fixture(6, "exit_without_result"));
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_EQ(out.error, "stage host exited with code 0 without reporting a result");
}

TEST_P(ProcessStageRunnerTest, PluginErrorIsTheLastSetError) {
  AttemptOutcome out = Run(Fixture(7, "fail"));
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(out.error, "fixture failed on purpose");
}

// A 10 MiB error after 4 MiB of log lines: the result still arrives, with
// the error's start kept and the cut said.
TEST_P(ProcessStageRunnerTest, HugePluginErrorArrivesCutToItsStart) {
  AttemptOutcome out = Run(Fixture(17, "big_error"));
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(out.error.rfind("big error starteee", 0), 0u) << out.error.substr(0, 200);
  EXPECT_LE(out.error.size(), 64u * 1024);
  EXPECT_NE(out.error.find("error text cut"), std::string::npos);
  EXPECT_EQ(out.error.find("without reporting a result"), std::string::npos);
}

TEST_P(ProcessStageRunnerTest, WrongAbiMajorFailsNamingBothVersions) {
  AttemptOutcome out = Run(Fixture(8, "wrong_abi"));
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_EQ(out.exit_code, 3);
  EXPECT_NE(out.error.find("wrong_abi.so was built for ABI 2, this host speaks ABI 1"),
            std::string::npos)
      << out.error;
}

TEST_P(ProcessStageRunnerTest, HangTimesOutAndItsGroupIsGone) {
  AttemptSpec spec = Fixture(9, "hang");
  spec.timeout = 300ms;
  spec.kill_grace = 200ms;
  auto started = std::chrono::steady_clock::now();
  AttemptOutcome out = Run(spec);
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(out.kind, Kind::kTimedOut);
  EXPECT_EQ(out.signal, SIGKILL);
  EXPECT_EQ(out.error, "timed out after 300 ms; stage host killed by signal 9 (SIGKILL)");
  EXPECT_GE(took, 500ms);
  // Well below timeout + the default grace (5 s): the spec's grace was used.
  // Not tighter: a loaded machine may be slow to reap.
  EXPECT_LT(took, 500ms + 4s);
  ASSERT_TRUE(PathExists(spec.work_dir + "/host.pid"));
  pid_t pgid = testing::ReadPid(spec.work_dir + "/host.pid");
  EXPECT_TRUE(testing::GroupGone(pgid));
  std::string log = testing::ReadText(spec.log_path);
  EXPECT_NE(log.find("[mlopsd] timed out after 300 ms: SIGTERM"), std::string::npos) << log;
  EXPECT_NE(log.find("SIGKILL to the stage's process group"), std::string::npos) << log;
}

TEST_P(ProcessStageRunnerTest, CancelStopsACooperativePluginBeforeTheGrace) {
  AttemptSpec spec = Fixture(10, "wait_cancel");
  // A grace far longer than any load delays the plugin's own stop: ending
  // well inside it shows the plugin stopped itself, not the SIGKILL.
  spec.kill_grace = 120s;
  runner_->Start(spec);
  ASSERT_TRUE(testing::WaitForFile(spec.work_dir + "/host.pid"));
  auto cancelled = std::chrono::steady_clock::now();
  runner_->Cancel(10);
  AttemptOutcome out;
  ASSERT_TRUE(collector_.Wait(10, &out, 150s));
  EXPECT_LT(std::chrono::steady_clock::now() - cancelled, 60s);
  EXPECT_EQ(out.kind, Kind::kCancelled);
  EXPECT_EQ(out.signal, 0);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(out.error, "cancelled");
}

TEST_P(ProcessStageRunnerTest, CancelKillsAPluginThatIgnoresSigterm) {
  AttemptSpec spec = Fixture(11, "hang");
  spec.kill_grace = 100ms;
  runner_->Start(spec);
  ASSERT_TRUE(testing::WaitForFile(spec.work_dir + "/host.pid"));
  runner_->Cancel(11);
  AttemptOutcome out;
  ASSERT_TRUE(collector_.Wait(11, &out, 60s));
  EXPECT_EQ(out.kind, Kind::kCancelled);
  EXPECT_EQ(out.signal, SIGKILL);
  EXPECT_TRUE(testing::GroupGone(testing::ReadPid(spec.work_dir + "/host.pid")));
}

TEST_P(ProcessStageRunnerTest, CancelOfAnUnknownAttemptIsIgnored) {
  runner_->Cancel(12345);
  AttemptOutcome out = Run(Fixture(12, "reporter"));
  EXPECT_EQ(out.kind, Kind::kSucceeded) << out.error;
  EXPECT_EQ(collector_.Total(), 1u);
}

TEST_P(ProcessStageRunnerTest, MissingStageHostIsAStartFailure) {
  testing::OutcomeCollector collector;
  ProcessStageRunnerOptions options = Options();
  options.stage_host_path = dir_ / "no-such-mlops-stage";
  ProcessStageRunner runner(options, collector.Callback());
  runner.Start(Fixture(13, "reporter"));
  AttemptOutcome out;
  ASSERT_TRUE(collector.Wait(13, &out));
  EXPECT_EQ(out.kind, Kind::kStartFailed);
  EXPECT_NE(out.error.find("no-such-mlops-stage"), std::string::npos) << out.error;
  EXPECT_EQ(runner.Running(), 0);
}

TEST_P(ProcessStageRunnerTest, UnwritableLogIsAStartFailure) {
  AttemptSpec spec = Fixture(14, "reporter");
  spec.log_path = "/proc/no-such-dir/14.log";
  AttemptOutcome out = Run(spec);
  EXPECT_EQ(out.kind, Kind::kStartFailed);
  EXPECT_FALSE(out.error.empty());
}

TEST_P(ProcessStageRunnerTest, DestructionCancelsRunningAttempts) {
  testing::OutcomeCollector collector;
  AttemptSpec spec = Fixture(15, "hang");
  {
    ProcessStageRunner runner(Options(), collector.Callback());
    runner.Start(spec);
    ASSERT_TRUE(testing::WaitForFile(spec.work_dir + "/host.pid"));
  }
  AttemptOutcome out;
  ASSERT_TRUE(collector.Wait(15, &out, 0ms));
  EXPECT_EQ(out.kind, Kind::kCancelled);
  EXPECT_TRUE(testing::GroupGone(testing::ReadPid(spec.work_dir + "/host.pid")));
}

// Regression: a sweep after one runner's crashed host once ended the live
// hosts of another runner in the same process.
TEST_P(ProcessStageRunnerTest, AnotherRunnersSweepSparesOurHosts) {
  AttemptSpec waiting = Fixture(17, "wait_cancel");
  runner_->Start(waiting);
  ASSERT_TRUE(testing::WaitForFile(waiting.work_dir + "/host.pid"));
  testing::OutcomeCollector other_collector;
  {
    ProcessStageRunner other(Options(), other_collector.Callback());
    AttemptSpec crash = Fixture(18, "segfault");
    crash.work_dir = dir_ / "work-18";
    MakeDirs(crash.work_dir);
    other.Start(crash);
    AttemptOutcome crashed;
    ASSERT_TRUE(other_collector.Wait(18, &crashed));
    EXPECT_EQ(crashed.signal, SIGSEGV);
  }
  EXPECT_EQ(runner_->Running(), 1);
  runner_->Cancel(17);
  AttemptOutcome out;
  ASSERT_TRUE(collector_.Wait(17, &out));
  EXPECT_EQ(out.kind, Kind::kCancelled);
  EXPECT_EQ(out.signal, 0) << "the host was killed, not cancelled: " << out.error;
}

TEST_P(ProcessStageRunnerTest, FiftyParallelAttemptsAreEachReportedOnce) {
  constexpr int kAttempts = 50;
  for (int id = 100; id < 100 + kAttempts; ++id) {
    AttemptSpec spec = Fixture(id, id % 5 == 0 ? "fail" : "reporter");
    spec.work_dir = dir_ / ("work-" + std::to_string(id));
    MakeDirs(spec.work_dir);
    runner_->Start(spec);
  }
  ASSERT_TRUE(collector_.WaitForTotal(kAttempts, 60s));
  std::this_thread::sleep_for(50ms);  // a duplicate would arrive now
  std::map<int64_t, int> counts = collector_.CountById();
  EXPECT_EQ(counts.size(), static_cast<size_t>(kAttempts));
  for (const auto& [id, n] : counts) EXPECT_EQ(n, 1) << "attempt " << id;
  EXPECT_EQ(collector_.Total(), static_cast<size_t>(kAttempts));
  EXPECT_EQ(runner_->Running(), 0);
}

TEST_P(ProcessStageRunnerTest, RunningCountsStartedAttempts) {
  AttemptSpec spec = Fixture(16, "wait_cancel");
  runner_->Start(spec);
  EXPECT_EQ(runner_->Running(), 1);
  ASSERT_TRUE(testing::WaitForFile(spec.work_dir + "/host.pid"));
  runner_->Cancel(16);
  AttemptOutcome out;
  ASSERT_TRUE(collector_.Wait(16, &out));
  EXPECT_EQ(runner_->Running(), 0);
}

// A grandchild `sleep 300` must not outlive its stage, however the stage
// host ends and wherever the grandchild put itself.
struct GrandchildCase {
  const char* detach;
  const char* then;
  Kind kind;
};

void PrintTo(const GrandchildCase& c, std::ostream* os) {
  *os << "detach=" << c.detach << " then=" << c.then << " expect " << ToString(c.kind);
}

class GrandchildTest : public testing::RunnerTest<std::tuple<GrandchildCase, bool>> {
 protected:
  bool UseForkServer() const override { return std::get<1>(GetParam()); }
};

TEST_P(GrandchildTest, LeavesNoProcessBehind) {
  const GrandchildCase& c = std::get<0>(GetParam());
  AttemptSpec spec = Fixture(20, "grandchild",
                             std::string("{\"detach\":\"") + c.detach + "\",\"then\":\"" +
                                 c.then + "\"}");
  spec.timeout = 1s;
  spec.kill_grace = 100ms;
  AttemptOutcome out = Run(spec);
  EXPECT_EQ(out.kind, c.kind) << out.error;
  ASSERT_TRUE(PathExists(spec.work_dir + "/grandchild.pid"));
  pid_t grandchild = testing::ReadPid(spec.work_dir + "/grandchild.pid");
  ASSERT_GT(grandchild, 1);
  EXPECT_TRUE(testing::ProcessGone(grandchild)) << "grandchild " << grandchild << " survived";
}

INSTANTIATE_TEST_SUITE_P(
    AllEndings, GrandchildTest,
    ::testing::Combine(::testing::Values(GrandchildCase{"none", "return", Kind::kSucceeded},
                                         GrandchildCase{"setpgid", "return", Kind::kSucceeded},
                                         GrandchildCase{"setsid", "return", Kind::kSucceeded},
                                         GrandchildCase{"none", "exit", Kind::kFailed},
                                         GrandchildCase{"setpgid", "exit", Kind::kFailed},
                                         GrandchildCase{"setsid", "exit", Kind::kFailed},
                                         GrandchildCase{"setsid", "segfault", Kind::kFailed},
                                         GrandchildCase{"setsid", "hang", Kind::kTimedOut}),
                       ::testing::Bool()),
    [](const ::testing::TestParamInfo<std::tuple<GrandchildCase, bool>>& info) {
      const GrandchildCase& c = std::get<0>(info.param);
      return std::string(c.detach) + "_" + c.then + "_" +
             testing::PathName(std::get<1>(info.param));
    });

INSTANTIATE_TEST_SUITE_P(Paths, ProcessStageRunnerTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return testing::PathName(info.param);
                         });

}  // namespace
}  // namespace mlops
