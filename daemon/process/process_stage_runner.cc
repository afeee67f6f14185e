#include "process/process_stage_runner.h"

#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "process/runner_loop.h"
#include "process/stage_orphans.h"
#include "stage_protocol.h"

namespace mlops {
namespace {

// How long the runner waits for the processes it killed after a host died
// uncleanly before it delivers the outcome anyway.
constexpr std::chrono::milliseconds kOrphanWait{2000};

// How long a fork server that has not yet started an attempt whose SIGKILL
// is due gets before it is taken for stuck and killed.
constexpr std::chrono::milliseconds kServerAnswerWait{2000};

// Spare stage logs kept ready (two attempts at once start without waiting
// on an inode, with room for a burst), and the mode every log gets.
constexpr size_t kSpareLogs = 4;
constexpr mode_t kLogMode = 0640;

}  // namespace

ProcessStageRunner::Loop::Loop(ProcessStageRunnerOptions options, OnFinished on_finished)
    : options_(std::move(options)),
      on_finished_(std::move(on_finished)),
      logs_(options_.spare_log_dir, kSpareLogs, kLogMode) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    init_error_ = std::string("stage runner: cannot create epoll/eventfd: ") + std::strerror(errno);
    return;
  }
  struct epoll_event ev {};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  next_sweep_ = Clock::now() + options_.orphan_sweep_interval;
  thread_ = std::thread([this] { Run(); });
}

ProcessStageRunner::Loop::~Loop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void ProcessStageRunner::Loop::Post(Request request) {
  running_.fetch_add(std::holds_alternative<StartRequest>(request) ? 1 : 0);
  if (!init_error_.empty()) {
    if (auto* start = std::get_if<StartRequest>(&request)) {
      Deliver(Unstarted(start->spec, init_error_));
    }
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(std::move(request));
  }
  Wake();
}

void ProcessStageRunner::Loop::Wake() {
  if (wake_fd_ < 0) return;
  uint64_t one = 1;
  ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
  (void)ignored;
}

void ProcessStageRunner::Loop::Run() {
  std::vector<struct epoll_event> ready(64);
  bool shutdown_started = false;
  for (;;) {
    // Spare logs are made only when nothing is waiting: a poll that does
    // not block comes first, and each empty one makes a single spare.
    const bool refill = logs_.WantsRefill();
    int n = ::epoll_wait(epoll_fd_, ready.data(), static_cast<int>(ready.size()),
                         refill ? 0 : NextTimeoutMs(Clock::now()));
    if (n == 0 && refill) {
      logs_.Refill();
      continue;
    }
    std::vector<uint64_t> exited, dead_servers;
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = ready[i].data.u64, key = tag >> 3;
      if (tag == 0) {
        uint64_t count;
        while (::read(wake_fd_, &count, sizeof count) > 0) {
        }
        continue;
      }
      switch (static_cast<What>(tag & 7)) {
        case kEvents:
          if (auto it = attempts_.find(key); it != attempts_.end()) ReadEvents(*it->second);
          break;
        case kOutput:
          if (auto it = attempts_.find(key); it != attempts_.end()) ReadOutput(*it->second);
          break;
        case kHostExit: exited.push_back(key); break;
        case kServerSocket: ReadServer(key); break;
        case kServerExit: dead_servers.push_back(key); break;
      }
    }
    std::deque<Request> requests;
    bool shutting_down;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests.swap(requests_);
      shutting_down = shutting_down_;
    }
    for (Request& r : requests) {
      if (auto* start = std::get_if<StartRequest>(&r)) {
        if (shutting_down) {
          Deliver(Unstarted(start->spec, "cancelled: the stage runner shut down",
                            AttemptOutcome::Kind::kCancelled));
        } else {
          StartAttempt(std::move(start->spec));
        }
      } else if (std::holds_alternative<RetireServersRequest>(r)) {
        std::vector<uint64_t> current;
        for (const auto& [plugin, key] : server_by_plugin_) current.push_back(key);
        for (uint64_t key : current) RetireServer(key);
      } else if (auto it = key_by_id_.find(std::get<CancelRequest>(r).attempt_id);
                 it != key_by_id_.end()) {
        StopAttempt(*attempts_.at(it->second), StopReason::kCancel);
      }
    }
    if (shutting_down && !shutdown_started) {
      shutdown_started = true;
      for (auto& [key, attempt] : attempts_) StopAttempt(*attempt, StopReason::kShutdown);
    }
    for (uint64_t key : exited) Finish(key);
    for (uint64_t key : dead_servers) ServerExited(key);
    auto now = Clock::now();
    EnforceDeadlines(now);
    if (now >= next_sweep_) {
      SweepStageOrphans(std::chrono::milliseconds(0));
      next_sweep_ = now + options_.orphan_sweep_interval;
    }
    if (shutting_down && attempts_.empty()) {
      StopServers();
      return;
    }
  }
}

int ProcessStageRunner::Loop::NextTimeoutMs(Clock::time_point now) const {
  Clock::time_point next = next_sweep_;
  for (const auto& [key, a] : attempts_) {
    if (a->stop == StopReason::kNone && a->deadline && *a->deadline < next) next = *a->deadline;
    if (a->kill_at && !a->sigkill_sent && *a->kill_at < next) next = *a->kill_at;
    if (a->server_kill_at && *a->server_kill_at < next) next = *a->server_kill_at;
  }
  if (next <= now) return 0;
  auto wait = std::chrono::ceil<std::chrono::milliseconds>(next - now).count();
  return static_cast<int>(std::min<int64_t>(wait, 60'000));
}

AttemptOutcome ProcessStageRunner::Loop::Unstarted(const AttemptSpec& spec, std::string error,
                                                   AttemptOutcome::Kind kind) {
  AttemptOutcome out;
  out.attempt_id = spec.attempt_id;
  out.kind = kind;
  out.error = std::move(error);
  return out;
}

void ProcessStageRunner::Loop::StartAttempt(AttemptSpec spec) {
  if (key_by_id_.count(spec.attempt_id) != 0) {
    Deliver(Unstarted(spec, "attempt " + std::to_string(spec.attempt_id) + " is already running"));
    return;
  }
  if (spec.memory_limit_bytes > 0 && options_.cgroups != nullptr && options_.cgroups->usable()) {
    Status s = options_.cgroups->Create(spec.attempt_id, spec.memory_limit_bytes, &spec.cgroup);
    if (!s.ok()) {
      Deliver(Unstarted(spec, s.message()));
      return;
    }
  }
  const int64_t id = spec.attempt_id;
  const std::string cgroup = spec.cgroup;
  if (options_.use_fork_server) {
    StartServed(std::move(spec));
  } else {
    StartDirect(std::move(spec));
  }
  if (!cgroup.empty() && key_by_id_.count(id) == 0) AttemptCgroups::Remove(cgroup);
}

// An OOM kill in the attempt's cgroup is said as such; a failure under
// RLIMIT_DATA may have been a failed allocation, which only the plugin saw.
void ProcessStageRunner::Loop::ExplainMemoryLimit(const Attempt& a, AttemptOutcome* out) {
  const int64_t limit = a.spec.memory_limit_bytes;
  if (limit <= 0 || out->kind != AttemptOutcome::Kind::kFailed) return;
  const std::string what = "exceeded its memory limit of " +
                           StageOutput::FormatBytes(static_cast<uint64_t>(limit));
  if (!a.spec.cgroup.empty()) {
    if (AttemptCgroups::OomKilled(a.spec.cgroup)) {
      out->error = what + " (killed by the kernel's OOM killer in its cgroup); " + out->error;
    }
    return;
  }
  if (out->error.find("exceeded its memory limit") == std::string::npos) {
    out->error += "; it ran under a memory limit of " +
                  StageOutput::FormatBytes(static_cast<uint64_t>(limit)) +
                  " (RLIMIT_DATA): if an allocation failed, it " + what;
  }
}

void ProcessStageRunner::Loop::StartDirect(AttemptSpec spec) {
  HostProcess host;
  Status s = StartStageHost(options_.stage_host_path, spec, &logs_, &host);
  if (!s.ok()) {
    Deliver(Unstarted(spec, s.message()));
    return;
  }
  const uint64_t key = AddAttempt(std::move(spec), host, 0);
  struct epoll_event ev {};
  ev.events = EPOLLIN;
  ev.data.u64 = Tag(key, kHostExit);
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, host.pidfd, &ev);
}

uint64_t ProcessStageRunner::Loop::AddAttempt(AttemptSpec spec, const HostProcess& host,
                                              uint64_t server) {
  const uint64_t key = next_key_++;
  auto attempt = std::make_unique<Attempt>();
  attempt->host = host;
  attempt->server = server;
  if (spec.timeout.count() > 0) attempt->deadline = Clock::now() + spec.timeout;
  if (options_.on_progress) {
    attempt->events = AttemptEvents(
        [cb = options_.on_progress, id = spec.attempt_id](double f, const std::string& m) {
          cb(id, f, m);
        });
  }
  attempt->output = std::make_unique<StageOutput>(host.log_fd, options_.output_cap_bytes);
  attempt->spec = std::move(spec);
  struct epoll_event ev {};
  ev.events = EPOLLIN;
  ev.data.u64 = Tag(key, kEvents);
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, host.events_fd, &ev);
  ev.data.u64 = Tag(key, kOutput);
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, host.output_fd, &ev);
  key_by_id_[attempt->spec.attempt_id] = key;
  attempts_[key] = std::move(attempt);
  return key;
}

// Drains the event pipe; on end of stream stops watching it. A success
// goes out as soon as it is read, not when the pipe ends: that is when the
// host has exited, after its address space was torn down.
void ProcessStageRunner::Loop::ReadEvents(Attempt& a) {
  DrainPipe(&a.host.events_fd, [&a](std::string_view bytes) { a.events.Feed(bytes); });
  DeliverEarly(a);
}

void ProcessStageRunner::Loop::DrainPipe(int* fd,
                                         const std::function<void(std::string_view)>& consume) {
  char buf[65536];
  while (*fd >= 0) {
    ssize_t n = ::read(*fd, buf, sizeof buf);
    if (n > 0) {
      consume(std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, *fd, nullptr);
    ::close(*fd);
    *fd = -1;
  }
}

void ProcessStageRunner::Loop::ReadOutput(Attempt& a) {
  DrainPipe(&a.host.output_fd, [&a](std::string_view bytes) { a.output->Write(bytes); });
  if (a.output->write_errno() != 0 && a.stop == StopReason::kNone && !a.delivered) {
    StopAttempt(a, StopReason::kLogFailed);
  }
}

void ProcessStageRunner::Loop::FinishOutput(Attempt& a, AttemptOutcome* out) {
  ReadOutput(a);
  a.output->Finish();
  if (a.output->write_errno() != 0) {
    const std::string lost = "the stage log " + a.spec.log_path +
                             " could not be written: " + std::strerror(a.output->write_errno());
    if (out->kind == AttemptOutcome::Kind::kSucceeded || a.stop == StopReason::kLogFailed) {
      out->kind = AttemptOutcome::Kind::kFailed;
      out->error = lost;
    } else {
      out->error += "; " + lost;
    }
    return;
  }
  if (!a.output->cut()) return;
  // The attempt says so too: its error, which a success otherwise leaves empty.
  const std::string note = "stage output passed its cap of " +
                           StageOutput::FormatBytes(options_.output_cap_bytes) + ": " +
                           std::to_string(a.output->left_out()) +
                           " bytes were left out of the log (its head and tail are kept)";
  out->error = out->error.empty() ? note : out->error + "; " + note;
}

// A host that reported success has ended every process it started (it is a
// subreaper) and has nothing left to do but exit: its outcome goes out now,
// not one exit and one fork-server reply later. An attempt holding GPUs
// waits for the exit, so that the next one finds them free.
void ProcessStageRunner::Loop::DeliverEarly(Attempt& a) {
  if (a.delivered || a.stop != StopReason::kNone || !a.events.has_result() ||
      a.events.result_status() != stage_protocol::kResultOk) {
    return;
  }
  if (auto gpus = a.spec.env.find("CUDA_VISIBLE_DEVICES");
      gpus != a.spec.env.end() && !gpus->second.empty()) {
    return;
  }
  AttemptOutcome out = ComposeOutcome(a.spec.attempt_id, &a.events, W_EXITCODE(0, 0),
                                     StopReason::kNone, a.spec.timeout);
  FinishOutput(a, &out);
  a.delivered = true;
  a.deadline.reset();
  Deliver(std::move(out));
}

void ProcessStageRunner::Loop::Note(const Attempt& a, const std::string& text) {
  std::string line = "[mlopsd] " + text + "\n";
  ssize_t ignored = ::write(a.host.log_fd, line.data(), line.size());
  (void)ignored;
}

// A host of its own is alive or a zombie here, so its pid (= its group id)
// cannot have been reused. A fork server's child is not our child: it is
// signalled only while its pidfd says it is alive (once it has exited, its
// server ends what is left of its group).
void ProcessStageRunner::Loop::SignalHost(Attempt& a, int sig) {
  if (a.server == 0) {
    ::kill(-a.host.pid, sig);
    return;
  }
  if (a.host.pid < 0) {
    if (sig == SIGKILL || a.pending_signal == 0) a.pending_signal = sig;
    if (sig == SIGKILL && !a.server_kill_at) a.server_kill_at = Clock::now() + kServerAnswerWait;
    return;
  }
  if (a.host.pidfd >= 0) {
    struct pollfd p = {a.host.pidfd, POLLIN, 0};
    if (::poll(&p, 1, 0) > 0) return;
  }
  // Before the child's setsid() there is no such group yet: the child alone.
  if (::kill(-a.host.pid, sig) != 0 && errno == ESRCH) {
    if (a.host.pidfd >= 0) {
      ::syscall(SYS_pidfd_send_signal, a.host.pidfd, sig, nullptr, 0);
    } else {
      ::kill(a.host.pid, sig);
    }
  }
}

void ProcessStageRunner::Loop::StopAttempt(Attempt& a, StopReason reason) {
  if (a.delivered) return;  // it succeeded; its host is exiting
  if (a.stop != StopReason::kNone) {
    if (reason == StopReason::kShutdown && !a.sigkill_sent) {
      SignalHost(a, SIGKILL);
      a.sigkill_sent = true;
    }
    return;
  }
  a.stop = reason;
  if (reason == StopReason::kShutdown || a.spec.kill_grace.count() <= 0) {
    Note(a, "stopping the stage: SIGKILL to its process group");
    SignalHost(a, SIGKILL);
    a.sigkill_sent = true;
    return;
  }
  Note(a, std::string(reason == StopReason::kTimeout ? "timed out after " + FormatDuration(a.spec.timeout)
                      : reason == StopReason::kLogFailed ? "the stage log cannot be written"
                                                         : "cancelled") +
              ": SIGTERM to the stage's process group");
  SignalHost(a, SIGTERM);
  a.kill_at = Clock::now() + a.spec.kill_grace;
}

void ProcessStageRunner::Loop::EnforceDeadlines(Clock::time_point now) {
  std::vector<uint64_t> stuck_servers;
  for (auto& [key, a] : attempts_) {
    if (a->stop == StopReason::kNone && a->deadline && now >= *a->deadline) {
      StopAttempt(*a, StopReason::kTimeout);
    }
    if (a->kill_at && !a->sigkill_sent && now >= *a->kill_at) {
      Note(*a, "still running " + FormatDuration(a->spec.kill_grace) +
                   " after SIGTERM: SIGKILL to the stage's process group");
      SignalHost(*a, SIGKILL);
      a->sigkill_sent = true;
    }
    if (a->server_kill_at && now >= *a->server_kill_at) {
      a->server_kill_at.reset();
      Note(*a, "the fork server did not start the stage in time: killing the server");
      stuck_servers.push_back(a->server);
    }
  }
  for (uint64_t key : stuck_servers) KillServer(key);
}

void ProcessStageRunner::Loop::Finish(uint64_t key) {
  auto it = attempts_.find(key);
  if (it == attempts_.end()) return;
  Attempt& a = *it->second;
  ReadEvents(a);
  siginfo_t info{};
  if (::waitid(P_PID, a.host.pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    // Someone else reaped the host (a waitpid(-1) elsewhere in the
    // process): its status is lost, which must not pass for a success.
    info.si_code = CLD_KILLED;
    info.si_status = SIGKILL;
  } else if (info.si_pid == 0) {
    return;  // not exited after all; the pidfd stays in the set
  }
  // Whatever is left of the group dies with the host. A host that ended
  // cleanly has already ended every descendant (it is a subreaper); one
  // that did not may have left some, also outside its group, re-parented
  // to this process.
  ::kill(-a.host.pid, SIGKILL);
  bool clean_end = a.events.has_result() && info.si_code == CLD_EXITED;
  if (!clean_end) {
    SweepStageOrphans(kOrphanWait);
  }
  int status = W_EXITCODE(0, SIGKILL);
  pid_t reaped;
  while ((reaped = ::waitpid(a.host.pid, &status, 0)) < 0 && errno == EINTR) {
  }
  if (reaped < 0) status = W_EXITCODE(0, SIGKILL);
  ForgetStageHost(a.host.pid);
  Conclude(key, status, "");
}

void ProcessStageRunner::Loop::Conclude(uint64_t key, int wait_status,
                                        const std::string& server_death) {
  Attempt& a = *attempts_.at(key);
  ReadEvents(a);
  if (a.delivered) {
    ReadOutput(a);
    if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
      Note(a, "after reporting success, the " + DescribeHostExit(wait_status));
    }
    Release(key);
    return;
  }
  AttemptOutcome out =
      ComposeOutcome(a.spec.attempt_id, &a.events, wait_status, a.stop, a.spec.timeout);
  if (!server_death.empty() && out.kind != AttemptOutcome::Kind::kSucceeded) {
    out.error = server_death + " during the attempt; " + out.error;
  }
  FinishOutput(a, &out);
  ExplainMemoryLimit(a, &out);
  if (out.kind != AttemptOutcome::Kind::kSucceeded) {
    Note(a, std::string("attempt ") + ToString(out.kind) + ": " + out.error);
  }
  Release(key);
  Deliver(std::move(out));
}

// Forgets an attempt: its descriptors out of the epoll set and closed.
void ProcessStageRunner::Loop::Release(uint64_t key) {
  auto it = attempts_.find(key);
  if (it == attempts_.end()) return;
  Attempt& a = *it->second;
  if (a.server == 0 && a.host.pidfd >= 0) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, a.host.pidfd, nullptr);
  }
  if (a.host.events_fd >= 0) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, a.host.events_fd, nullptr);
  if (a.host.output_fd >= 0) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, a.host.output_fd, nullptr);
  CloseHostFds(&a.host);
  if (!a.spec.cgroup.empty()) AttemptCgroups::Remove(a.spec.cgroup);
  key_by_id_.erase(a.spec.attempt_id);
  attempts_.erase(it);
}

void ProcessStageRunner::Loop::Deliver(AttemptOutcome outcome) {
  running_.fetch_sub(1);
  try {
    on_finished_(std::move(outcome));
  } catch (...) {
    // The callback's failure is its owner's; the runner goes on.
  }
}

ProcessStageRunner::ProcessStageRunner(ProcessStageRunnerOptions options, OnFinished on_finished)
    : loop_(std::make_unique<Loop>(std::move(options), std::move(on_finished))) {}

ProcessStageRunner::~ProcessStageRunner() = default;

void ProcessStageRunner::Start(const AttemptSpec& spec) { loop_->Post(Loop::StartRequest{spec}); }

void ProcessStageRunner::Cancel(int64_t attempt_id) {
  loop_->Post(Loop::CancelRequest{attempt_id});
}

int ProcessStageRunner::Running() const { return loop_->Running(); }

void ProcessStageRunner::RetireServers() { loop_->Post(Loop::RetireServersRequest{}); }

}  // namespace mlops
