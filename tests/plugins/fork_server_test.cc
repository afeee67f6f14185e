// mlops-stage --serve on its own, spoken to by hand as the runner would
// (fork_server_protocol.h): an attempt started and reported, an attempt
// ended when the daemon goes away, a server without a socket refused.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "fd_passing.h"
#include "fork_server_protocol.h"
#include "mlops/common/files.h"
#include "process/attempt_harness.h"
#include "process/captured_command.h"

extern char** environ;

namespace mlops {
namespace {

using namespace std::chrono_literals;
namespace proto = stage_protocol;

class ForkServerProtocolTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (sock_ >= 0) ::close(sock_);
    if (server_ > 0) {
      ::kill(server_, SIGKILL);
      ::waitpid(server_, nullptr, 0);
    }
  }

  void StartServer(const std::string& plugin) {
    int ends[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends), 0);
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, ends[1], proto::kServeSocketFd);
    std::string host = MLOPS_STAGE_HOST_PATH, parent = std::to_string(::getpid());
    std::vector<char*> argv = {host.data(), const_cast<char*>("--serve"),
                               const_cast<char*>(plugin.c_str()), const_cast<char*>("--parent"),
                               parent.data(), nullptr};
    ASSERT_EQ(::posix_spawn(&server_, host.c_str(), &actions, nullptr, argv.data(), environ), 0);
    ::posix_spawn_file_actions_destroy(&actions);
    ::close(ends[1]);
    sock_ = ends[0];
  }

  // Sends a start request; returns the read end of the attempt's event pipe.
  int RequestAttempt(int64_t id, const std::string& params, uint32_t grace_ms) {
    std::string work = dir_ / ("work-" + std::to_string(id));
    EXPECT_TRUE(MakeDirs(work).ok());
    EXPECT_TRUE(WriteFileAtomic(dir_ / "spec.json",
                                R"({"attempt_id":)" + std::to_string(id) +
                                    R"(,"params_json":")" + params + R"(","work_dir":")" +
                                    work + R"("})")
                    .ok());
    int log = ::open((dir_ / "attempt.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int spec = ::open((dir_ / "spec.json").c_str(), O_RDONLY);
    int pipe_fds[2];
    EXPECT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
    proto::ServeRequest request;
    request.attempt_id = id;
    request.kill_grace_ms = grace_ms;
    int fds[proto::kRequestFdCount];
    fds[proto::kRequestLogFd] = log;
    fds[proto::kRequestEventFd] = pipe_fds[1];
    fds[proto::kRequestSpecFd] = spec;
    EXPECT_TRUE(fdpass::Send(sock_, &request, sizeof request, fds, 3, 0));
    for (int fd : {log, spec, pipe_fds[1]}) ::close(fd);
    return pipe_fds[0];
  }

  // The next reply, waiting at most `limit`; type 0 when none came.
  proto::ServeReply NextReply(int* pidfd, std::chrono::milliseconds limit = 10s) {
    proto::ServeReply reply;
    *pidfd = -1;
    struct pollfd p = {sock_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) != 1) return reply;
    int fds[fdpass::kMaxFds];
    size_t count = 0;
    ssize_t n = fdpass::Receive(sock_, &reply, sizeof reply, fds, &count, 0);
    EXPECT_EQ(n, static_cast<ssize_t>(sizeof reply));
    if (count > 0) *pidfd = fds[0];
    return reply;
  }

  // The server's wait status once it has exited, waiting at most `limit`.
  bool WaitServer(int* status, std::chrono::milliseconds limit = 10s) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (::waitpid(server_, status, WNOHANG) == server_) {
        server_ = -1;
        return true;
      }
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }

  testing::TempDir dir_;
  pid_t server_ = -1;
  int sock_ = -1;
};

TEST_F(ForkServerProtocolTest, StartsAnAttemptInAChildAndReportsItsExit) {
  StartServer(testing::FixturePath("reporter"));
  int events = RequestAttempt(5, "{}", 1000);
  int pidfd = -1;
  proto::ServeReply started = NextReply(&pidfd);
  EXPECT_EQ(started.type, proto::kStartedReply);
  EXPECT_EQ(started.attempt_id, 5);
  EXPECT_GT(started.pid, 0);
  EXPECT_NE(started.pid, server_);
  EXPECT_GE(pidfd, 0) << "a pidfd of the child comes with the reply";
  int ignored = -1;
  proto::ServeReply exited = NextReply(&ignored);
  EXPECT_EQ(exited.type, proto::kExitedReply);
  EXPECT_EQ(exited.pid, started.pid);
  EXPECT_EQ(exited.attempt_id, 5);
  EXPECT_TRUE(WIFEXITED(exited.wait_status) && WEXITSTATUS(exited.wait_status) == 0);
  EXPECT_TRUE(testing::ProcessGone(started.pid)) << "reaped before it was reported";
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(events, buf, sizeof buf)) > 0;) text.append(buf, n);
  ::close(events);
  EXPECT_NE(text.find(R"({"error":"","status":"OK","type":"result"})"), std::string::npos)
      << text;
  EXPECT_NE(testing::ReadText(dir_ / "attempt.log").find("[warn] done reporting"),
            std::string::npos);
  if (pidfd >= 0) ::close(pidfd);
  // End of file: an idle server exits cleanly.
  ::close(sock_);
  sock_ = -1;
  int status = 0;
  ASSERT_TRUE(WaitServer(&status));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(ForkServerProtocolTest, EndsItsAttemptsWhenTheDaemonGoesAway) {
  StartServer(testing::FixturePath("hang"));  // ignores SIGTERM
  int events = RequestAttempt(6, "{}", 100);
  int pidfd = -1;
  proto::ServeReply started = NextReply(&pidfd);
  ASSERT_EQ(started.type, proto::kStartedReply);
  ASSERT_TRUE(testing::WaitForFile(dir_ / "work-6/host.pid"));
  auto closed = std::chrono::steady_clock::now();
  ::close(sock_);
  sock_ = -1;
  int status = 0;
  ASSERT_TRUE(WaitServer(&status));
  EXPECT_GE(std::chrono::steady_clock::now() - closed, 100ms) << "the grace was not given";
  EXPECT_TRUE(testing::GroupGone(started.pid));
  ::close(events);
  if (pidfd >= 0) ::close(pidfd);
}

// The server's children (its spare, its attempts), waiting up to 5 s for
// `count` of them.
std::vector<pid_t> ChildrenOf(pid_t server, size_t count) {
  std::vector<pid_t> pids;
  const std::string path =
      "/proc/" + std::to_string(server) + "/task/" + std::to_string(server) + "/children";
  for (int i = 0; i < 1000; ++i) {
    pids.clear();
    std::string text = testing::ReadText(path);
    const char* p = text.c_str();
    char* end = nullptr;
    for (long v = std::strtol(p, &end, 10); end != p; v = std::strtol(p, &end, 10)) {
      pids.push_back(static_cast<pid_t>(v));
      p = end;
    }
    if (pids.size() == count) break;
    std::this_thread::sleep_for(5ms);
  }
  return pids;
}

// Gone, or a zombie waiting for whoever inherited it.
bool Ended(pid_t pid) {
  if (testing::ProcessGone(pid)) return true;
  std::string stat = testing::ReadText("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

// The fork happens before the request: the attempt runs in the child the
// server forked ahead of time, and a new one is forked for the next.
TEST_F(ForkServerProtocolTest, AttemptRunsInTheChildForkedBeforeItsRequest) {
  StartServer(testing::FixturePath("reporter"));
  std::vector<pid_t> before = ChildrenOf(server_, 1);
  ASSERT_EQ(before.size(), 1u) << "no child waits for the first request";
  int events = RequestAttempt(7, "{}", 1000);
  int pidfd = -1;
  proto::ServeReply started = NextReply(&pidfd);
  ASSERT_EQ(started.type, proto::kStartedReply);
  EXPECT_EQ(started.pid, before[0]);
  int ignored = -1;
  proto::ServeReply exited = NextReply(&ignored);
  EXPECT_EQ(exited.type, proto::kExitedReply);
  EXPECT_TRUE(WIFEXITED(exited.wait_status) && WEXITSTATUS(exited.wait_status) == 0);
  EXPECT_NE(testing::ReadText(dir_ / "attempt.log").find("[warn] done reporting"),
            std::string::npos)
      << "the forked-ahead child must write to the attempt's log";
  std::vector<pid_t> after = ChildrenOf(server_, 1);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_NE(after[0], before[0]);
  ::close(events);
  if (pidfd >= 0) ::close(pidfd);
}

// A child forked ahead of time never outlives its server, however it ends.
TEST_F(ForkServerProtocolTest, WaitingChildEndsWithItsServer) {
  StartServer(testing::FixturePath("reporter"));
  std::vector<pid_t> spare = ChildrenOf(server_, 1);
  ASSERT_EQ(spare.size(), 1u);
  ::kill(server_, SIGKILL);
  ::waitpid(server_, nullptr, 0);
  server_ = -1;
  bool ended = false;
  for (int i = 0; i < 1000 && !ended; ++i) {
    ended = Ended(spare[0]);
    if (!ended) std::this_thread::sleep_for(5ms);
  }
  EXPECT_TRUE(ended) << "child " << spare[0] << " outlived its SIGKILLed server";
}

TEST(ForkServerCommandLineTest, ServeNeedsASocketOnFd3) {
  CapturedRun run;
  ASSERT_TRUE(RunCaptured({MLOPS_STAGE_HOST_PATH, "--serve", MLOPS_EXEC_PLUGIN_PATH}, 20s, &run)
                  .ok());
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err, "mlops-stage: --serve needs a SOCK_SEQPACKET socket on fd 3\n");
}

}  // namespace
}  // namespace mlops
