#include "process/fork_server_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "fd_passing.h"
#include "fork_server_protocol.h"
#include "process/stage_host_env.h"
#include "process/stage_host_process.h"
#include "process/stage_orphans.h"
#include "stage_protocol.h"

namespace mlops {
namespace {

namespace proto = stage_protocol;
using Clock = std::chrono::steady_clock;

// How long a start request may wait for room in a server's socket.
constexpr std::chrono::milliseconds kSendWait{5000};

int Spawn(const std::string& host_path, const std::string& plugin_path, int server_end,
          pid_t* pid) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);
  ::posix_spawn_file_actions_adddup2(&actions, server_end, proto::kServeSocketFd);
  ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  ::posix_spawn_file_actions_addclosefrom_np(&actions, proto::kServeSocketFd + 1);
  SetStageSpawnAttributes(&attr);
  std::string plugin = plugin_path;
  std::string parent = std::to_string(::getpid());
  char* argv[] = {const_cast<char*>(host_path.c_str()), const_cast<char*>(proto::kServeFlag),
                  plugin.data(), const_cast<char*>(proto::kParentFlag), parent.data(), nullptr};
  StageHostEnvironment env;
  int rc = ::posix_spawn(pid, host_path.c_str(), &actions, &attr, argv, env.envp());
  ::posix_spawnattr_destroy(&attr);
  ::posix_spawn_file_actions_destroy(&actions);
  return rc;
}

}  // namespace

FileIdentity IdentifyFile(const std::string& path) {
  FileIdentity id;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return id;
  id.dev = st.st_dev;
  id.ino = st.st_ino;
  id.size = st.st_size;
  id.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  id.ctime_ns = int64_t{st.st_ctim.tv_sec} * 1'000'000'000 + st.st_ctim.tv_nsec;
  return id;
}

Status SpawnForkServer(const std::string& host_path, const std::string& plugin_path,
                       ForkServerProcess* out) {
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0) {
    return Status::FromErrno("socketpair for a fork server", errno);
  }
  ForkServerProcess server;
  int rc = 0;
  SpawnStageHost([&]() -> pid_t {
    rc = Spawn(host_path, plugin_path, ends[1], &server.pid);
    return rc == 0 ? server.pid : -1;
  });
  ::close(ends[1]);
  if (rc != 0) {
    ::close(ends[0]);
    return Status::IOError("cannot start stage host " + host_path + ": " + std::strerror(rc));
  }
  server.sock = ends[0];
  ::fcntl(server.sock, F_SETFL, O_NONBLOCK);
  server.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, server.pid, 0));
  if (server.pidfd < 0) {
    int err = errno;
    StopForkServer(&server, std::chrono::milliseconds(0));
    return Status::FromErrno("pidfd_open of the fork server", err);
  }
  *out = server;
  return Status::OK();
}

Status SendStartRequest(const ForkServerProcess& server, const AttemptSpec& spec, int output_fd,
                        int event_write_fd, int spec_fd, const OnServeReply& on_reply) {
  proto::ServeRequest request;
  request.attempt_id = spec.attempt_id;
  request.kill_grace_ms = static_cast<uint32_t>(
      std::min<int64_t>(std::max<int64_t>(spec.kill_grace.count(), 0), UINT32_MAX));
  int fds[proto::kRequestFdCount];
  fds[proto::kRequestLogFd] = output_fd;
  fds[proto::kRequestEventFd] = event_write_fd;
  fds[proto::kRequestSpecFd] = spec_fd;
  const auto give_up = Clock::now() + kSendWait;
  for (;;) {
    if (fdpass::Send(server.sock, &request, sizeof request, fds, proto::kRequestFdCount,
                     MSG_DONTWAIT)) {
      return Status::OK();
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return Status::FromErrno("the fork server does not take requests", errno);
    }
    // Full: the server may itself be waiting for us to read its replies.
    proto::ServeReply reply;
    int pidfd = -1;
    while (ReceiveReply(server, &reply, &pidfd) == 1) on_reply(reply, pidfd);
    if (Clock::now() >= give_up) {
      return Status::Unavailable("the fork server took no request for " +
                                 std::to_string(kSendWait.count()) + " ms");
    }
    struct pollfd fds_to_wait[2] = {{server.sock, POLLOUT, 0}, {server.pidfd, POLLIN, 0}};
    ::poll(fds_to_wait, 2, 10);
    if (fds_to_wait[1].revents != 0) return Status::Unavailable("the fork server has exited");
  }
}

int ReceiveReply(const ForkServerProcess& server, proto::ServeReply* reply, int* pidfd) {
  *pidfd = -1;
  for (;;) {
    int fds[fdpass::kMaxFds];
    size_t fd_count = 0;
    ssize_t n = fdpass::Receive(server.sock, reply, sizeof *reply, fds, &fd_count, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    if (n <= 0) return -1;
    if (static_cast<size_t>(n) != sizeof *reply || fd_count > 1) {
      fdpass::CloseAll(fds, fd_count);  // not from our server: ignored
      continue;
    }
    if (fd_count == 1) *pidfd = fds[0];
    return 1;
  }
}

int StopForkServer(ForkServerProcess* server, std::chrono::milliseconds wait) {
  if (server->sock >= 0) ::close(server->sock);
  server->sock = -1;
  int status = W_EXITCODE(0, SIGKILL);
  if (server->pid <= 0) return status;
  if (server->pidfd >= 0) {
    struct pollfd p = {server->pidfd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) == 0) {
      ::syscall(SYS_pidfd_send_signal, server->pidfd, SIGKILL, nullptr, 0);
    }
  } else {
    ::kill(server->pid, SIGKILL);  // not yet reaped, so still ours
  }
  while (::waitpid(server->pid, &status, 0) < 0 && errno == EINTR) {
  }
  ForgetStageHost(server->pid);
  if (server->pidfd >= 0) ::close(server->pidfd);
  server->pidfd = -1;
  server->pid = -1;
  return status;
}

std::string DescribeServerExit(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    int sig = WTERMSIG(wait_status);
    const char* abbrev = ::sigabbrev_np(sig);
    return "was killed by signal " + std::to_string(sig) +
           (abbrev != nullptr ? std::string(" (SIG") + abbrev + ")" : std::string());
  }
  return "exited with code " + std::to_string(WEXITSTATUS(wait_status));
}

}  // namespace mlops
