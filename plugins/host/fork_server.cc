#include "fork_server.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <optional>
#include <thread>

#include "attempt.h"
#include "fd_passing.h"
#include "fork_server_protocol.h"
#include "parent_watch.h"
#include "plugin_loader.h"
#include "process_tree.h"
#include "stage_protocol.h"

namespace mlops::host {
namespace {

namespace proto = stage_protocol;
using Clock = std::chrono::steady_clock;

// How long the server waits for what it killed around a dead child.
constexpr std::chrono::milliseconds kStrayWait{2000};

// How long after a child's own grace the server SIGKILLs its group itself.
constexpr std::chrono::milliseconds kShutdownMargin{500};

// Signal to the attempt's group; before its child has called setsid() there
// is no such group yet, and the child alone is signalled (it has started
// nothing; a blocked SIGTERM reaches its handler once it has one).
void SignalGroup(pid_t pid, int sig) {
  if (::kill(-pid, sig) != 0 && errno == ESRCH) ::kill(pid, sig);
}

// Moves `fd` to a number >= 10, so that dup2 onto 1..3 cannot clobber it.
int MoveHigh(int fd) {
  if (fd >= 10) return fd;
  int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  ::close(fd);
  return high;
}

class ForkServer {
 public:
  ForkServer(int sock, int signal_fd, const AttemptPlugin& plugin)
      : sock_(sock), signal_fd_(signal_fd), self_(::getpid()), plugin_(plugin) {}

  int Run() {
    MakeSpare();
    for (;;) {
      if (shutting_down_ && children_.empty()) {
        EndStrays();
        return proto::kExitOk;
      }
      struct pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {shutting_down_ ? -1 : sock_, POLLIN, 0}};
      if (::poll(fds, 2, PollTimeoutMs()) < 0 && errno != EINTR) return proto::kExitUsage;
      if (fds[0].revents != 0) ReadSignals();
      ReapExited();
      if (fds[1].revents != 0) ReadRequests();
      if (shutting_down_) EnforceKills();
    }
  }

 private:
  struct Child {
    int64_t attempt_id = 0;
    std::chrono::milliseconds grace{0};
    std::optional<Clock::time_point> kill_at;  // set when shutting down
    bool killed = false;
  };

  int PollTimeoutMs() const {
    if (!shutting_down_) return -1;
    std::optional<Clock::time_point> next;
    for (const auto& [pid, c] : children_) {
      if (c.kill_at && !c.killed && (!next || *c.kill_at < *next)) next = c.kill_at;
    }
    if (!next) return 100;  // SIGKILLed; waiting for SIGCHLD
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(*next - Clock::now()).count();
    return static_cast<int>(std::clamp<int64_t>(ms, 0, 60'000));
  }

  void ReadSignals() {
    struct signalfd_siginfo info;
    while (::read(signal_fd_, &info, sizeof info) == sizeof info) {
      if (info.ssi_signo != SIGCHLD) BeginShutdown();
    }
  }

  void ReadRequests() {
    for (;;) {
      proto::ServeRequest request;
      int fds[fdpass::kMaxFds];
      size_t fd_count = 0;
      ssize_t n = fdpass::Receive(sock_, &request, sizeof request, fds, &fd_count, MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) {  // end of file (or a broken socket): the daemon is gone or done
        BeginShutdown();
        return;
      }
      if (static_cast<size_t>(n) != sizeof request || request.type != proto::kStartRequest ||
          fd_count != proto::kRequestFdCount) {
        fdpass::CloseAll(fds, fd_count);
        PrintError("fork server: malformed request ignored");
        continue;
      }
      StartChild(request, fds);
    }
  }

  void StartChild(const proto::ServeRequest& request, int* fds) {
    // The spare forked after the last attempt takes this one: the fork is
    // then off the path from the request to the stage's command.
    pid_t pid = HandToSpare(request, fds);
    if (pid < 0) {
      pid = ::fork();
      if (pid == 0) ChildMain(fds);
    }
    int fork_errno = errno;
    fdpass::CloseAll(fds, proto::kRequestFdCount);
    proto::ServeReply reply;
    reply.type = proto::kStartedReply;
    reply.attempt_id = request.attempt_id;
    reply.pid = pid;
    int pidfd = -1;
    if (pid < 0) {
      reply.error = fork_errno;
    } else {
      // The child is not reaped before the runner has this, so the pidfd
      // names the child.
      pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
      Child& child = children_[pid];
      child.attempt_id = request.attempt_id;
      child.grace = std::chrono::milliseconds(request.kill_grace_ms);
    }
    Reply(reply, pidfd);
    if (pidfd >= 0) ::close(pidfd);
    if (pid > 0) MakeSpare();
  }

  // A child forked ahead of time that waits for one request on a socket of
  // its own, then runs it as ChildMain would have. It dies with the server
  // (PDEATHSIG) and ends quietly when its socket closes.
  void MakeSpare() {
    if (spare_ > 0 || shutting_down_) return;
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0) return;
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(ends[0]);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
      if (::getppid() != self_) ::_exit(0);
      // sock_ and signal_fd_ stay open until ChildMain closes them, so that
      // the descriptors received cannot take their numbers.
      proto::ServeRequest request;
      int fds[fdpass::kMaxFds];
      size_t fd_count = 0;
      ssize_t n = fdpass::Receive(ends[1], &request, sizeof request, fds, &fd_count, 0);
      if (n != static_cast<ssize_t>(sizeof request) || fd_count != proto::kRequestFdCount) {
        ::_exit(0);  // the server closed the socket (or sent nonsense): not needed
      }
      ::close(ends[1]);
      ChildMain(fds);
    }
    ::close(ends[1]);
    if (pid < 0) {
      ::close(ends[0]);
      return;
    }
    spare_ = pid;
    spare_sock_ = ends[0];
  }

  // The spare's pid once it has the request and its descriptors; -1 (and
  // no spare) when there is none or it cannot take them.
  pid_t HandToSpare(const proto::ServeRequest& request, const int* fds) {
    if (spare_ <= 0) return -1;
    const pid_t pid = spare_;
    const bool sent =
        fdpass::Send(spare_sock_, &request, sizeof request, fds, proto::kRequestFdCount, 0);
    DropSpare(/*kill=*/!sent);
    return sent ? pid : -1;
  }

  // Forgets the spare: its socket closed (an idle spare then exits); killed
  // and reaped when it will not run an attempt.
  void DropSpare(bool kill) {
    if (spare_ <= 0) return;
    ::close(spare_sock_);
    spare_sock_ = -1;
    if (kill) {
      ::kill(spare_, SIGKILL);
      while (::waitpid(spare_, nullptr, __WALL) < 0 && errno == EINTR) {
      }
    }
    spare_ = -1;
  }

  [[noreturn]] void ChildMain(int* fds) {
    ::close(sock_);
    ::close(signal_fd_);
    ::setsid();
    int log_fd = MoveHigh(fds[proto::kRequestLogFd]);
    int event_fd = MoveHigh(fds[proto::kRequestEventFd]);
    int spec_fd = MoveHigh(fds[proto::kRequestSpecFd]);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::dup2(event_fd, proto::kEventFd);
    ::close(log_fd);
    ::close(event_fd);
    // Handlers before the unblock: a SIGTERM sent before this child had a
    // session of its own is pending, and must become a cancel.
    InstallStopHandlers();
    WatchParent(self_, &StopFlag());
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    SpecSource spec;
    spec.fd = spec_fd;
    Exit(RunAttempt(plugin_, spec));
  }

  // Reports every child that has exited. Its zombie keeps its pid, and so
  // its group id, from being reused while the rest of the group is killed.
  void ReapExited() {
    for (;;) {
      siginfo_t info{};
      if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT | __WALL) != 0) return;
      pid_t pid = info.si_pid;
      if (pid == 0) return;
      if (pid == spare_) {  // it died before it was needed
        DropSpare(/*kill=*/false);
        (void)::waitpid(pid, nullptr, WNOHANG | __WALL);
        continue;
      }
      auto it = children_.find(pid);
      if (it == children_.end()) {  // a stray (see EndStrays) that died
        if (::waitpid(pid, nullptr, WNOHANG | __WALL) != pid) return;
        continue;
      }
      ::kill(-pid, SIGKILL);
      EndStrays();
      int status = 0;
      while (::waitpid(pid, &status, __WALL) < 0 && errno == EINTR) {
      }
      proto::ServeReply reply;
      reply.type = proto::kExitedReply;
      reply.attempt_id = it->second.attempt_id;
      reply.pid = pid;
      reply.wait_status = status;
      children_.erase(it);
      Reply(reply, -1);
    }
  }

  // A child of the server that is not an attempt's child is what a dead
  // attempt left behind (a living attempt is a subreaper itself): killed
  // and reaped, waiting at most kStrayWait.
  void EndStrays() {
    const auto give_up = Clock::now() + kStrayWait;
    auto pause = std::chrono::microseconds(200);
    for (;;) {
      int remaining = 0;
      for (pid_t pid : proctree::ListChildren()) {
        if (children_.count(pid) != 0 || pid == spare_) continue;
        if (::waitpid(pid, nullptr, WNOHANG | __WALL) == pid) continue;
        ::kill(pid, SIGKILL);
        ++remaining;
      }
      if (remaining == 0 || Clock::now() >= give_up) return;
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(10'000));
    }
  }

  void Reply(const proto::ServeReply& reply, int fd) {
    if (!socket_ok_) return;
    if (!fdpass::Send(sock_, &reply, sizeof reply, &fd, fd >= 0 ? 1 : 0, 0)) {
      socket_ok_ = false;  // the daemon is gone
      BeginShutdown();
    }
  }

  // Each child ends its attempt as if its parent had died (parent_watch.h:
  // cancel, SIGTERM to its group, its grace, then everything killed); a
  // group still there a little after that is killed here.
  void BeginShutdown() {
    if (shutting_down_) return;
    shutting_down_ = true;
    DropSpare(/*kill=*/true);
    const auto now = Clock::now();
    for (auto& [pid, child] : children_) {
      ::kill(pid, ParentDeathSignal());
      child.kill_at = now + child.grace + kShutdownMargin;
    }
  }

  void EnforceKills() {
    const auto now = Clock::now();
    for (auto& [pid, child] : children_) {
      if (child.kill_at && !child.killed && now >= *child.kill_at) {
        SignalGroup(pid, SIGKILL);
        child.killed = true;
      }
    }
  }

  const int sock_;
  const int signal_fd_;
  const pid_t self_;
  const AttemptPlugin& plugin_;
  std::map<pid_t, Child> children_;  // running attempts, by pid
  bool shutting_down_ = false;
  bool socket_ok_ = true;
  pid_t spare_ = -1;      // a forked child waiting for the next request
  int spare_sock_ = -1;   // the server's end of the spare's socket
};

}  // namespace

int Serve(const std::string& plugin_path, pid_t parent) {
  sigset_t handled;
  sigemptyset(&handled);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&handled, sig);
  ::sigprocmask(SIG_BLOCK, &handled, nullptr);
  ::prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
  if (parent > 0 && ::getppid() != parent) return proto::kExitOk;  // already gone
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

  int type = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(proto::kServeSocketFd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
      type != SOCK_SEQPACKET) {
    PrintError("--serve needs a SOCK_SEQPACKET socket on fd 3");
    return proto::kExitUsage;
  }
  int sock = ::fcntl(proto::kServeSocketFd, F_DUPFD_CLOEXEC, 10);
  ::close(proto::kServeSocketFd);
  int signal_fd = ::signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sock < 0 || signal_fd < 0) {
    PrintError("fork server: cannot set up its descriptors");
    return proto::kExitUsage;
  }

  AttemptPlugin plugin;
  char resolved[PATH_MAX];
  plugin.path = ::realpath(plugin_path.c_str(), resolved) != nullptr ? resolved : plugin_path;
  // Never unloaded: the children run the copy mapped here.
  static LoadedPlugin loaded;
  std::string error;
  if (LoadPlugin(plugin.path, &loaded, &error)) {
    plugin.loaded = &loaded;
  } else {
    plugin.load_error = error;  // reported by every attempt, as a host would
  }
  ForkServer server(sock, signal_fd, plugin);
  return server.Run();
}

}  // namespace mlops::host
