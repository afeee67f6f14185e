// ProcessStageRunner's attempts started through fork servers: one server
// per plugin file (replaced when the file changes), started on first use,
// asked to start each attempt; its replies say which process runs the
// attempt and, later, how it ended. See runner_loop.h.
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "fork_server_protocol.h"
#include "process/runner_loop.h"
#include "process/stage_orphans.h"

namespace mlops {
namespace {

namespace proto = stage_protocol;
using Clock = std::chrono::steady_clock;

// How long the runner waits for what it killed after a fork server died.
constexpr std::chrono::milliseconds kOrphanWait{2000};

// How long the runner waits for its fork servers to exit when it stops.
constexpr std::chrono::milliseconds kServerStopWait{2000};

bool Readable(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  return fd >= 0 && ::poll(&p, 1, 0) > 0;
}

}  // namespace

void ProcessStageRunner::Loop::StartServed(AttemptSpec spec) {
  HostProcess host;
  AttemptIoEnds ends;
  Status s = OpenAttemptIo(spec, &logs_, &host, &ends);
  if (!s.ok()) {
    Deliver(Unstarted(spec, s.message()));
    return;
  }
  uint64_t server_key = 0;
  bool fresh = false;
  for (;;) {
    server_key = ServerFor(spec.plugin_path, &fresh, &s);
    if (server_key == 0) break;
    s = SendStartRequest(servers_.at(server_key)->process, spec, ends.output, ends.event,
                         ends.spec, [this, server_key](const proto::ServeReply& reply, int pidfd) {
                           HandleReply(server_key, reply, pidfd);
                         });
    if (s.ok() || fresh) break;
    // A server that died (or got stuck) since its last attempt is
    // replaced, and asked again.
    KillServer(server_key);
    ServerExited(server_key);
  }
  ends.Close();
  if (server_key == 0) {
    CloseHostFds(&host);
    Deliver(Unstarted(spec, s.message()));
    return;
  }
  servers_.at(server_key)->starting.push_back(AddAttempt(std::move(spec), host, server_key));
  if (!s.ok()) {
    // A server started for this attempt that cannot take it (it died while
    // loading the plugin, say): the attempt fails with how the server ended.
    KillServer(server_key);
    ServerExited(server_key);
  }
}

uint64_t ProcessStageRunner::Loop::ServerFor(const std::string& plugin_path, bool* fresh,
                                             Status* error) {
  const FileIdentity file = IdentifyFile(plugin_path);
  *fresh = false;
  if (auto it = server_by_plugin_.find(plugin_path); it != server_by_plugin_.end()) {
    if (servers_.at(it->second)->file == file) return it->second;
    RetireServer(it->second);
  }
  *fresh = true;
  auto server = std::make_unique<Server>();
  Status s = SpawnForkServer(options_.stage_host_path, plugin_path, &server->process);
  if (!s.ok()) {
    *error = s;
    return 0;
  }
  server->plugin_path = plugin_path;
  server->file = file;
  const uint64_t key = next_key_++;
  struct epoll_event ev {};
  ev.events = EPOLLIN;
  ev.data.u64 = Tag(key, kServerSocket);
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, server->process.sock, &ev);
  ev.data.u64 = Tag(key, kServerExit);
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, server->process.pidfd, &ev);
  servers_[key] = std::move(server);
  server_by_plugin_[plugin_path] = key;
  return key;
}

void ProcessStageRunner::Loop::RetireServer(uint64_t key) {
  Server& server = *servers_.at(key);
  server.retired = true;
  server_by_plugin_.erase(server.plugin_path);
  MaybeCloseRetired(key);
}

void ProcessStageRunner::Loop::MaybeCloseRetired(uint64_t key) {
  auto it = servers_.find(key);
  if (it != servers_.end() && it->second->retired && it->second->Outstanding() == 0) {
    CloseServer(key);
  }
}

// End of file on its socket: an idle server exits; its pidfd then says so.
void ProcessStageRunner::Loop::CloseServer(uint64_t key) {
  Server& server = *servers_.at(key);
  if (server.process.sock >= 0) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, server.process.sock, nullptr);
    ::close(server.process.sock);
    server.process.sock = -1;
  }
  server.closing = true;
}

void ProcessStageRunner::Loop::KillServer(uint64_t key) {
  auto it = servers_.find(key);
  if (it == servers_.end()) return;
  ::syscall(SYS_pidfd_send_signal, it->second->process.pidfd, SIGKILL, nullptr, 0);
}

void ProcessStageRunner::Loop::ReadServer(uint64_t key) {
  for (;;) {
    auto it = servers_.find(key);
    if (it == servers_.end() || it->second->process.sock < 0) return;
    proto::ServeReply reply;
    int pidfd = -1;
    int got = ReceiveReply(it->second->process, &reply, &pidfd);
    if (got == 0) return;
    if (got < 0) {  // it is exiting; its pidfd will say when
      CloseServer(key);
      it->second->closing = false;
      return;
    }
    HandleReply(key, reply, pidfd);
  }
}

void ProcessStageRunner::Loop::HandleReply(uint64_t server_key, const proto::ServeReply& reply,
                                           int pidfd) {
  Server& server = *servers_.at(server_key);
  if (reply.type == proto::kExitedReply) {
    if (pidfd >= 0) ::close(pidfd);
    auto it = server.running.find(reply.pid);
    if (it == server.running.end()) return;
    const uint64_t key = it->second;
    server.running.erase(it);
    Conclude(key, reply.wait_status, "");
    MaybeCloseRetired(server_key);
    return;
  }
  uint64_t key = 0;
  for (auto it = server.starting.begin(); it != server.starting.end(); ++it) {
    if (attempts_.at(*it)->spec.attempt_id == reply.attempt_id) {
      key = *it;
      server.starting.erase(it);
      break;
    }
  }
  if (key == 0 || reply.type != proto::kStartedReply) {
    if (pidfd >= 0) ::close(pidfd);
    return;
  }
  Attempt& a = *attempts_.at(key);
  if (reply.pid <= 0) {
    if (pidfd >= 0) ::close(pidfd);
    FinishUnstarted(key, std::string("the fork server for ") + a.spec.plugin_path +
                             " could not start the attempt: " + std::strerror(reply.error));
    MaybeCloseRetired(server_key);
    return;
  }
  a.host.pid = reply.pid;
  a.host.pidfd = pidfd;
  a.server_kill_at.reset();
  server.running[reply.pid] = key;
  if (int sig = a.pending_signal; sig != 0) {
    a.pending_signal = 0;
    SignalHost(a, sig);
  }
}

// An attempt its fork server never started: failed, or as the runner
// stopped it.
void ProcessStageRunner::Loop::FinishUnstarted(uint64_t key, const std::string& error) {
  Attempt& a = *attempts_.at(key);
  AttemptOutcome out;
  out.attempt_id = a.spec.attempt_id;
  out.error = error;
  switch (a.stop) {
    case StopReason::kNone:
    case StopReason::kLogFailed: out.kind = AttemptOutcome::Kind::kFailed; break;
    case StopReason::kTimeout:
      out.kind = AttemptOutcome::Kind::kTimedOut;
      out.error = "timed out after " + FormatDuration(a.spec.timeout) + "; " + error;
      break;
    case StopReason::kCancel:
    case StopReason::kShutdown:
      out.kind = AttemptOutcome::Kind::kCancelled;
      out.error = "cancelled; " + error;
      break;
  }
  Note(a, std::string("attempt ") + ToString(out.kind) + ": " + out.error);
  Release(key);
  Deliver(std::move(out));
}

// The server's pidfd is readable: it has exited. Replies it sent before
// still count; attempts it had not started fail; the hosts it had started
// are children of this process now (a child subreaper): they are killed,
// reaped and reported failed, naming the server's end.
void ProcessStageRunner::Loop::ServerExited(uint64_t key) {
  if (servers_.count(key) == 0) return;
  ReadServer(key);
  auto node = servers_.extract(key);
  Server& server = *node.mapped();
  if (auto it = server_by_plugin_.find(server.plugin_path);
      it != server_by_plugin_.end() && it->second == key) {
    server_by_plugin_.erase(it);
  }
  if (server.process.sock >= 0) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, server.process.sock, nullptr);
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, server.process.pidfd, nullptr);
  const bool expected = server.closing && server.Outstanding() == 0;
  const int status = StopForkServer(&server.process, std::chrono::milliseconds(0));
  if (expected) return;
  const std::string death = "the fork server for " + server.plugin_path + " " +
                            DescribeServerExit(status);
  for (uint64_t attempt : server.starting) {
    FinishUnstarted(attempt, death + " before it started the attempt");
  }
  if (server.running.empty()) return;
  std::vector<std::pair<uint64_t, int>> ended;  // attempt key, wait status
  for (const auto& [pid, attempt] : server.running) {
    Attempt& a = *attempts_.at(attempt);
    // Unreaped (the server reported no exit), so the pid is still the
    // host's, unless this process is no subreaper and init reaped it.
    siginfo_t info{};
    bool ours = ::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT | __WALL) == 0;
    if (!Readable(a.host.pidfd) || ours) ::kill(-pid, SIGKILL);
    ended.emplace_back(attempt, W_EXITCODE(0, SIGKILL));
  }
  const auto give_up = Clock::now() + kOrphanWait;
  for (auto& [attempt, status_of_host] : ended) {
    Attempt& a = *attempts_.at(attempt);
    auto left = std::chrono::ceil<std::chrono::milliseconds>(give_up - Clock::now()).count();
    struct pollfd p = {a.host.pidfd, POLLIN, 0};
    if (a.host.pidfd >= 0) ::poll(&p, 1, static_cast<int>(std::max<int64_t>(left, 0)));
    int st = 0;
    if (::waitpid(a.host.pid, &st, WNOHANG | __WALL) == a.host.pid) status_of_host = st;
  }
  // What escaped those hosts came here too.
  SweepStageOrphans(kOrphanWait);
  for (const auto& [attempt, status_of_host] : ended) {
    Conclude(attempt, status_of_host, death);
  }
}

void ProcessStageRunner::Loop::StopServers() {
  for (auto& [key, server] : servers_) {
    if (server->process.sock >= 0) {
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, server->process.sock, nullptr);
      ::close(server->process.sock);
      server->process.sock = -1;
    }
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, server->process.pidfd, nullptr);
  }
  for (auto& [key, server] : servers_) StopForkServer(&server->process, kServerStopWait);
  servers_.clear();
  server_by_plugin_.clear();
}

}  // namespace mlops
