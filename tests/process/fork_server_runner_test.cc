// What only the fork-server path has: one server per plugin file, serving
// every attempt of it in a child of its own; a new server when the file
// changes; a server that dies costs its attempts and is replaced; a plugin
// that crashes while loading costs each attempt, as it does on the other path.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "mlops/common/files.h"
#include "process/attempt_harness.h"
#include "process/runner_fixture.h"
#include "process_tree.h"

namespace mlops {
namespace {

using namespace std::chrono_literals;
using Kind = AttemptOutcome::Kind;

class ForkServerTest : public testing::RunnerTest<bool> {
 protected:
  bool UseForkServer() const override { return true; }

  // Starts a wait_cancel attempt of `plugin`, returns its host's pid once
  // it runs (0 if it never did); the attempt stays running.
  pid_t StartWaiting(int64_t id, const std::string& plugin) {
    AttemptSpec spec = testing::MakeSpec(dir_, id, plugin);
    spec.work_dir = dir_ / ("work-" + std::to_string(id));
    MakeDirs(spec.work_dir);
    runner_->Start(spec);
    if (!testing::WaitForFile(spec.work_dir + "/host.pid")) return 0;
    return testing::ReadPid(spec.work_dir + "/host.pid");
  }

  AttemptOutcome CancelAndWait(int64_t id) {
    runner_->Cancel(id);
    AttemptOutcome out;
    EXPECT_TRUE(collector_.Wait(id, &out)) << "no outcome for " << id;
    return out;
  }

  // Polls (and reaps, when it is our child) until `pid` is gone.
  static bool WaitGone(pid_t pid, std::chrono::milliseconds limit = 5s) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!testing::ProcessGone(pid)) {
      if (std::chrono::steady_clock::now() >= until) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }
};

TEST_F(ForkServerTest, OneServerRunsEveryAttemptOfAPluginEachInItsOwnSession) {
  const std::string plugin = testing::FixturePath("wait_cancel");
  pid_t server = 0;
  for (int64_t id = 1; id <= 3; ++id) {
    pid_t host = StartWaiting(id, plugin);
    ASSERT_GT(host, 0);
    proctree::ProcStat stat;
    ASSERT_TRUE(proctree::ReadProcStat(host, &stat));
    EXPECT_EQ(stat.sid, host) << "the attempt's process leads a session of its own";
    EXPECT_EQ(stat.pgid, host);
    pid_t parent = testing::ParentOf(host);
    EXPECT_NE(parent, ::getpid()) << "started by a fork server, not by the runner";
    EXPECT_EQ(testing::ParentOf(parent), ::getpid()) << "the server is the runner's child";
    if (server == 0) server = parent;
    EXPECT_EQ(parent, server) << "attempt " << id << " went to another server";
    AttemptOutcome out = CancelAndWait(id);
    EXPECT_EQ(out.kind, Kind::kCancelled) << out.error;
    EXPECT_EQ(out.error, "cancelled");
  }
  EXPECT_FALSE(testing::ProcessGone(server));
}

// Far more attempts at once than the server's socket holds requests or
// replies: each ends once, and none is left running.
TEST_F(ForkServerTest, ABurstOfAttemptsStartedAtOnceAllEnd) {
  constexpr int kAttempts = 300;
  for (int64_t id = 1; id <= kAttempts; ++id) {
    AttemptSpec spec = Fixture(id, "reporter");
    spec.work_dir = dir_ / ("work-" + std::to_string(id));
    MakeDirs(spec.work_dir);
    runner_->Start(spec);
  }
  ASSERT_TRUE(collector_.WaitForTotal(kAttempts, 120s))
      << collector_.Total() << " of " << kAttempts << " attempts ended";
  auto counts = collector_.CountById();
  ASSERT_EQ(counts.size(), static_cast<size_t>(kAttempts));
  for (const auto& [id, n] : counts) EXPECT_EQ(n, 1) << "attempt " << id;
  for (int64_t id = 1; id <= kAttempts; ++id) {
    AttemptOutcome out;
    ASSERT_TRUE(collector_.Wait(id, &out, 0s));
    EXPECT_EQ(out.kind, Kind::kSucceeded) << id << ": " << out.error;
  }
  auto until = std::chrono::steady_clock::now() + 20s;
  while (runner_->Running() != 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(runner_->Running(), 0);
}

TEST_F(ForkServerTest, AChangedPluginFileGetsANewServer) {
  const std::string plugin = dir_ / "copied.so";
  ASSERT_TRUE(CopyFile(testing::FixturePath("wait_cancel"), plugin).ok());
  pid_t first_host = StartWaiting(1, plugin);
  ASSERT_GT(first_host, 0);
  pid_t first_server = testing::ParentOf(first_host);
  EXPECT_EQ(CancelAndWait(1).kind, Kind::kCancelled);

  std::this_thread::sleep_for(20ms);  // a new mtime, even on a coarse clock
  ASSERT_TRUE(RemoveTree(plugin).ok());
  ASSERT_TRUE(CopyFile(testing::FixturePath("wait_cancel"), plugin).ok());
  pid_t second_host = StartWaiting(2, plugin);
  ASSERT_GT(second_host, 0);
  pid_t second_server = testing::ParentOf(second_host);
  EXPECT_NE(second_server, first_server);
  EXPECT_EQ(CancelAndWait(2).kind, Kind::kCancelled);
  // The retired server had nothing left to run: it exited and was reaped.
  EXPECT_TRUE(WaitGone(first_server)) << "old server " << first_server << " is still there";
}

TEST_F(ForkServerTest, AKilledServerFailsItsAttemptsAndIsReplaced) {
  AttemptSpec spec = Fixture(1, "hang");  // ignores SIGTERM
  runner_->Start(spec);
  ASSERT_TRUE(testing::WaitForFile(spec.work_dir + "/host.pid"));
  pid_t host = testing::ReadPid(spec.work_dir + "/host.pid");
  pid_t server = testing::ParentOf(host);
  ASSERT_GT(server, 1);
  ASSERT_NE(server, ::getpid());
  ASSERT_EQ(::kill(server, SIGKILL), 0);
  AttemptOutcome out;
  ASSERT_TRUE(collector_.Wait(1, &out, 10s));
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_EQ(out.error.rfind("the fork server for " + testing::FixturePath("hang") +
                                " was killed by signal 9 (SIGKILL) during the attempt; ",
                            0),
            0u)
      << out.error;
  EXPECT_TRUE(testing::GroupGone(host));
  EXPECT_TRUE(testing::ProcessGone(server));
  EXPECT_NE(testing::ReadText(spec.log_path).find("[mlopsd] attempt failed: the fork server"),
            std::string::npos);

  // The next attempt of that plugin gets a new server.
  AttemptSpec next = Fixture(2, "hang");
  next.work_dir = dir_ / "work-2";
  MakeDirs(next.work_dir);
  next.timeout = 1s;
  next.kill_grace = 100ms;
  runner_->Start(next);
  ASSERT_TRUE(testing::WaitForFile(next.work_dir + "/host.pid"));
  pid_t new_server = testing::ParentOf(testing::ReadPid(next.work_dir + "/host.pid"));
  EXPECT_NE(new_server, server);
  EXPECT_EQ(testing::ParentOf(new_server), ::getpid());
  AttemptOutcome timed_out;
  ASSERT_TRUE(collector_.Wait(2, &timed_out));
  EXPECT_EQ(timed_out.kind, Kind::kTimedOut);
  EXPECT_EQ(timed_out.error, "timed out after 1s; stage host killed by signal 9 (SIGKILL)");
}

TEST_F(ForkServerTest, ServersEndWithTheRunner) {
  pid_t host = StartWaiting(1, testing::FixturePath("wait_cancel"));
  ASSERT_GT(host, 0);
  pid_t server = testing::ParentOf(host);
  runner_.reset();
  AttemptOutcome out;
  ASSERT_TRUE(collector_.Wait(1, &out, 0ms));
  EXPECT_EQ(out.kind, Kind::kCancelled);
  EXPECT_TRUE(testing::ProcessGone(server)) << "the runner reaps its servers as it stops";
  EXPECT_TRUE(testing::GroupGone(host));
}

// The same outcome kind on both paths: the plugin never ran.
class CrashWhileLoadingTest : public testing::RunnerPathTest {};

TEST_P(CrashWhileLoadingTest, CostsEachAttempt) {
  for (int64_t id = 1; id <= 2; ++id) {
    AttemptOutcome out = Run(Fixture(id, "crash_on_load"));
    EXPECT_EQ(out.kind, Kind::kFailed);
    EXPECT_EQ(out.signal, GetParam() ? 0 : SIGSEGV);
    EXPECT_NE(out.error.find("signal 11 (SIGSEGV)"), std::string::npos) << out.error;
    if (GetParam()) {
      EXPECT_NE(out.error.find("before it started the attempt"), std::string::npos)
          << out.error;
    }
  }
  EXPECT_EQ(runner_->Running(), 0);
}

INSTANTIATE_TEST_SUITE_P(Paths, CrashWhileLoadingTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return testing::PathName(info.param);
                         });

}  // namespace
}  // namespace mlops
