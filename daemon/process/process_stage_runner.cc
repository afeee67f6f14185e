#include "process/process_stage_runner.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include "process/attempt_events.h"
#include "process/stage_host_process.h"
#include "process/stage_orphans.h"

namespace mlops {
namespace {

using SteadyClock = std::chrono::steady_clock;

// How long the runner waits for the processes it killed after a host died
// uncleanly before it delivers the outcome anyway.
constexpr std::chrono::milliseconds kOrphanWait{2000};

struct StartRequest {
  AttemptSpec spec;
};
struct CancelRequest {
  int64_t attempt_id;
};
using Request = std::variant<StartRequest, CancelRequest>;

struct Attempt {
  AttemptSpec spec;
  HostProcess host;
  AttemptEvents events;
  std::optional<SteadyClock::time_point> deadline;
  std::optional<SteadyClock::time_point> kill_at;  // SIGKILL due; set with SIGTERM
  bool sigkill_sent = false;
  StopReason stop = StopReason::kNone;
};

// epoll data: 0 is the wake eventfd; otherwise key << 1 | (1 for the pipe).
constexpr uint64_t kWakeTag = 0;

}  // namespace

class ProcessStageRunner::Loop {
 public:
  Loop(ProcessStageRunnerOptions options, OnFinished on_finished)
      : options_(std::move(options)), on_finished_(std::move(on_finished)) {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epoll_fd_ < 0 || wake_fd_ < 0) {
      init_error_ = std::string("stage runner: cannot create epoll/eventfd: ") + std::strerror(errno);
      return;
    }
    struct epoll_event ev {};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeTag;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
    next_sweep_ = SteadyClock::now() + options_.orphan_sweep_interval;
    thread_ = std::thread([this] { Run(); });
  }

  ~Loop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutting_down_ = true;
    }
    Wake();
    if (thread_.joinable()) thread_.join();
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

  void Post(Request request) {
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

  int Running() const { return running_.load(); }

 private:
  void Wake() {
    if (wake_fd_ < 0) return;
    uint64_t one = 1;
    ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
    (void)ignored;
  }

  void Run() {
    std::vector<struct epoll_event> ready(64);
    bool shutdown_started = false;
    for (;;) {
      int n = ::epoll_wait(epoll_fd_, ready.data(), static_cast<int>(ready.size()),
                           NextTimeoutMs(SteadyClock::now()));
      std::vector<uint64_t> exited;
      for (int i = 0; i < n; ++i) {
        uint64_t tag = ready[i].data.u64;
        if (tag == kWakeTag) {
          uint64_t count;
          while (::read(wake_fd_, &count, sizeof count) > 0) {
          }
        } else if (tag & 1) {
          if (auto it = attempts_.find(tag >> 1); it != attempts_.end()) ReadEvents(*it->second);
        } else {
          exited.push_back(tag >> 1);
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
      auto now = SteadyClock::now();
      EnforceDeadlines(now);
      if (now >= next_sweep_) {
        SweepStageOrphans(std::chrono::milliseconds(0));
        next_sweep_ = now + options_.orphan_sweep_interval;
      }
      if (shutting_down && attempts_.empty()) return;
    }
  }

  int NextTimeoutMs(SteadyClock::time_point now) const {
    SteadyClock::time_point next = next_sweep_;
    for (const auto& [key, a] : attempts_) {
      if (a->stop == StopReason::kNone && a->deadline && *a->deadline < next) next = *a->deadline;
      if (a->kill_at && !a->sigkill_sent && *a->kill_at < next) next = *a->kill_at;
    }
    if (next <= now) return 0;
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(next - now).count();
    return static_cast<int>(std::min<int64_t>(wait, 60'000));
  }

  static AttemptOutcome Unstarted(const AttemptSpec& spec, std::string error,
                                  AttemptOutcome::Kind kind = AttemptOutcome::Kind::kStartFailed) {
    AttemptOutcome out;
    out.attempt_id = spec.attempt_id;
    out.kind = kind;
    out.error = std::move(error);
    return out;
  }

  void StartAttempt(AttemptSpec spec) {
    if (key_by_id_.count(spec.attempt_id) != 0) {
      Deliver(Unstarted(spec, "attempt " + std::to_string(spec.attempt_id) + " is already running"));
      return;
    }
    HostProcess host;
    Status s = StartStageHost(options_.stage_host_path, spec, &host);
    if (!s.ok()) {
      Deliver(Unstarted(spec, s.message()));
      return;
    }
    const uint64_t key = next_key_++;
    auto attempt = std::make_unique<Attempt>();
    attempt->host = host;
    if (spec.timeout.count() > 0) attempt->deadline = SteadyClock::now() + spec.timeout;
    if (options_.on_progress) {
      attempt->events = AttemptEvents(
          [cb = options_.on_progress, id = spec.attempt_id](double f, const std::string& m) {
            cb(id, f, m);
          });
    }
    attempt->spec = std::move(spec);
    struct epoll_event ev {};
    ev.events = EPOLLIN;
    ev.data.u64 = key << 1;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, host.pidfd, &ev);
    ev.data.u64 = key << 1 | 1;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, host.events_fd, &ev);
    key_by_id_[attempt->spec.attempt_id] = key;
    attempts_[key] = std::move(attempt);
  }

  // Drains the event pipe; on end of stream stops watching it.
  void ReadEvents(Attempt& a) {
    char buf[65536];
    while (a.host.events_fd >= 0) {
      ssize_t n = ::read(a.host.events_fd, buf, sizeof buf);
      if (n > 0) {
        a.events.Feed(std::string_view(buf, static_cast<size_t>(n)));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, a.host.events_fd, nullptr);
      ::close(a.host.events_fd);
      a.host.events_fd = -1;
    }
  }

  void Note(const Attempt& a, const std::string& text) {
    std::string line = "[mlopsd] " + text + "\n";
    ssize_t ignored = ::write(a.host.log_fd, line.data(), line.size());
    (void)ignored;
  }

  // The host is alive or a zombie here, so its pid (= its group id) cannot
  // have been reused.
  void StopAttempt(Attempt& a, StopReason reason) {
    if (a.stop != StopReason::kNone) {
      if (reason == StopReason::kShutdown && !a.sigkill_sent) {
        ::kill(-a.host.pid, SIGKILL);
        a.sigkill_sent = true;
      }
      return;
    }
    a.stop = reason;
    if (reason == StopReason::kShutdown || a.spec.kill_grace.count() <= 0) {
      Note(a, "stopping the stage: SIGKILL to its process group");
      ::kill(-a.host.pid, SIGKILL);
      a.sigkill_sent = true;
      return;
    }
    Note(a, std::string(reason == StopReason::kTimeout
                            ? "timed out after " + FormatDuration(a.spec.timeout)
                            : std::string("cancelled")) +
                ": SIGTERM to the stage's process group");
    ::kill(-a.host.pid, SIGTERM);
    a.kill_at = SteadyClock::now() + a.spec.kill_grace;
  }

  void EnforceDeadlines(SteadyClock::time_point now) {
    for (auto& [key, a] : attempts_) {
      if (a->stop == StopReason::kNone && a->deadline && now >= *a->deadline) {
        StopAttempt(*a, StopReason::kTimeout);
      }
      if (a->kill_at && !a->sigkill_sent && now >= *a->kill_at) {
        Note(*a, "still running " + FormatDuration(a->spec.kill_grace) +
                     " after SIGTERM: SIGKILL to the stage's process group");
        ::kill(-a->host.pid, SIGKILL);
        a->sigkill_sent = true;
      }
    }
  }

  void Finish(uint64_t key) {
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
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, a.host.pidfd, nullptr);
    if (a.host.events_fd >= 0) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, a.host.events_fd, nullptr);
    AttemptOutcome out =
        ComposeOutcome(a.spec.attempt_id, &a.events, status, a.stop, a.spec.timeout);
    if (out.kind != AttemptOutcome::Kind::kSucceeded) {
      Note(a, std::string("attempt ") + ToString(out.kind) + ": " + out.error);
    }
    CloseHostFds(&a.host);
    key_by_id_.erase(a.spec.attempt_id);
    attempts_.erase(it);
    Deliver(std::move(out));
  }

  void Deliver(AttemptOutcome outcome) {
    running_.fetch_sub(1);
    try {
      on_finished_(std::move(outcome));
    } catch (...) {
      // The callback's failure is its owner's; the runner goes on.
    }
  }

  const ProcessStageRunnerOptions options_;
  const OnFinished on_finished_;
  std::string init_error_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<int> running_{0};

  std::mutex mu_;
  std::deque<Request> requests_;  // guarded by mu_
  bool shutting_down_ = false;    // guarded by mu_

  // Owned by the runner's thread.
  std::unordered_map<uint64_t, std::unique_ptr<Attempt>> attempts_;
  std::unordered_map<int64_t, uint64_t> key_by_id_;
  uint64_t next_key_ = 1;
  SteadyClock::time_point next_sweep_;

  std::thread thread_;  // last: starts after everything above exists
};

ProcessStageRunner::ProcessStageRunner(ProcessStageRunnerOptions options, OnFinished on_finished)
    : loop_(std::make_unique<Loop>(std::move(options), std::move(on_finished))) {}

ProcessStageRunner::~ProcessStageRunner() = default;

void ProcessStageRunner::Start(const AttemptSpec& spec) { loop_->Post(StartRequest{spec}); }

void ProcessStageRunner::Cancel(int64_t attempt_id) { loop_->Post(CancelRequest{attempt_id}); }

int ProcessStageRunner::Running() const { return loop_->Running(); }

}  // namespace mlops
