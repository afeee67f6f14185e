// No stage outlives a kill -9 of the daemon: a "daemon" (a forked copy of
// this test, with a runner) starts attempts that ignore SIGTERM, one with a
// grandchild in a session of its own, and is then SIGKILLed. Within a few
// seconds no process of those attempts (nor a fork server) may remain.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "mlops/common/files.h"
#include "process/attempt_harness.h"
#include "process/runner_fixture.h"
#include "process/stage_orphans.h"

namespace mlops {
namespace {

using namespace std::chrono_literals;

// The forked daemon: starts the attempts and waits to be killed. Never
// returns (it is a copy of the test process).
[[noreturn]] void RunDaemon(bool use_fork_server, const std::vector<AttemptSpec>& specs) {
  ::alarm(60);  // a daemon nobody killed must not outlive the test run
  if (BecomeChildSubreaper().ok()) {
    ProcessStageRunnerOptions options;
    options.stage_host_path = MLOPS_STAGE_HOST_PATH;
    options.use_fork_server = use_fork_server;
    auto* runner = new ProcessStageRunner(options, [](AttemptOutcome) {});
    for (const AttemptSpec& spec : specs) runner->Start(spec);
    for (;;) ::pause();
  }
  ::_exit(1);
}

// Gone, reaping it first if it is our zombie.
bool Gone(pid_t pid) {
  ::waitpid(pid, nullptr, WNOHANG);
  return testing::ProcessGone(pid);
}

class DaemonDeathTest : public ::testing::TestWithParam<bool> {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(BecomeChildSubreaper().ok()); }

  AttemptSpec Spec(int64_t id, const std::string& fixture, const std::string& params) {
    AttemptSpec spec = testing::MakeSpec(dir_, id, testing::FixturePath(fixture), params);
    spec.work_dir = dir_ / ("work-" + std::to_string(id));
    MakeDirs(spec.work_dir);
    spec.timeout = 60s;
    spec.kill_grace = 300ms;
    return spec;
  }

  testing::TempDir dir_;
};

TEST_P(DaemonDeathTest, NoProcessOfAnAttemptOutlivesIt) {
  std::vector<AttemptSpec> specs = {
      Spec(1, "hang", "{}"),
      Spec(2, "grandchild", R"({"detach":"setsid","then":"hang"})")};
  pid_t daemon = ::fork();
  ASSERT_GE(daemon, 0);
  if (daemon == 0) RunDaemon(GetParam(), specs);

  ASSERT_TRUE(testing::WaitForFile(specs[0].work_dir + "/host.pid"));
  ASSERT_TRUE(testing::WaitForFile(specs[1].work_dir + "/grandchild.pid"));
  pid_t host = testing::ReadPid(specs[0].work_dir + "/host.pid");
  pid_t grandchild = testing::ReadPid(specs[1].work_dir + "/grandchild.pid");
  pid_t grandchild_host = testing::ParentOf(grandchild);
  std::vector<pid_t> attempt_processes = {host, grandchild, grandchild_host};
  pid_t server = testing::ParentOf(host);
  if (GetParam()) {
    ASSERT_NE(server, daemon) << "a fork server's child";
    ASSERT_EQ(testing::ParentOf(server), daemon);
    attempt_processes.push_back(server);
  } else {
    ASSERT_EQ(server, daemon) << "a host of its own";
  }
  for (pid_t pid : attempt_processes) ASSERT_GT(pid, 1);

  auto killed = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(daemon, SIGKILL), 0);
  ASSERT_EQ(::waitpid(daemon, nullptr, 0), daemon);
  auto until = killed + 10s;
  std::vector<pid_t> left = attempt_processes;
  while (!left.empty() && std::chrono::steady_clock::now() < until) {
    std::erase_if(left, Gone);
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(left.empty()) << left.size() << " processes of the attempts survived, first "
                            << left.front();
  // They honoured the kill grace: the SIGTERM came first, SIGKILL later.
  EXPECT_GE(std::chrono::steady_clock::now() - killed, 250ms);
  for (pid_t pid : left) ::kill(pid, SIGKILL);
}

INSTANTIATE_TEST_SUITE_P(Paths, DaemonDeathTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return testing::PathName(info.param);
                         });

}  // namespace
}  // namespace mlops
