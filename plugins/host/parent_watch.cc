#include "parent_watch.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "stage_protocol.h"

namespace mlops::host {
namespace {

// Everything the handler reads, set before the handler can run.
std::atomic<bool>* g_stop = nullptr;
std::atomic<int64_t> g_grace_ms{5000};
static_assert(std::atomic<int64_t>::is_always_lock_free);

// --- async-signal-safe helpers: raw system calls, no allocation ---

// Calls fn(pid) for each child of every thread of this process
// (/proc/self/task/<tid>/children); returns how many.
template <typename Fn>
int ForEachChild(Fn fn) {
  int count = 0;
  int dir = ::open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return 0;
  alignas(8) char entries[4096];
  for (;;) {
    long n = ::syscall(SYS_getdents64, dir, entries, sizeof entries);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      auto* e = reinterpret_cast<struct dirent64*>(entries + off);
      off += e->d_reclen;
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      char path[64] = "/proc/self/task/";
      char* p = path + 16;
      for (const char* s = e->d_name; *s != '\0' && p < path + 40; ++s) *p++ = *s;
      const char tail[] = "/children";
      for (const char* s = tail; *s != '\0'; ++s) *p++ = *s;
      *p = '\0';
      int fd = ::open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      char text[4096];
      ssize_t len = ::read(fd, text, sizeof text - 1);
      ::close(fd);
      long pid = 0;
      bool in_number = false;
      for (ssize_t i = 0; i < len; ++i) {
        if (text[i] >= '0' && text[i] <= '9') {
          pid = pid * 10 + (text[i] - '0');
          in_number = true;
        } else if (in_number) {
          fn(static_cast<pid_t>(pid));
          ++count;
          pid = 0;
          in_number = false;
        }
      }
      if (in_number) {
        fn(static_cast<pid_t>(pid));
        ++count;
      }
    }
  }
  ::close(dir);
  return count;
}

// EndDescendants (attempt.h), async-signal-safely.
void KillDescendants() {
  for (int round = 0; round < 64; ++round) {
    if (ForEachChild([](pid_t pid) { ::kill(pid, SIGKILL); }) == 0) return;
    ForEachChild([](pid_t pid) { ::waitpid(pid, nullptr, __WALL); });
  }
}

void OnStopSignal(int) {
  if (g_stop != nullptr) g_stop->store(true, std::memory_order_relaxed);
}

void OnParentDeath(int sig, siginfo_t* info, void*) {
  if (info->si_code == SI_TIMER) {  // the grace is over
    KillDescendants();
    ::_exit(stage_protocol::kExitStageFailed);
  }
  if (g_stop != nullptr) g_stop->store(true, std::memory_order_relaxed);
  // Nobody reads fd 3 any more: an event written in the grace must fail
  // (the channel then shuts), not kill the host before it ends the rest.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ::sigaction(SIGPIPE, &ignore, nullptr);
  // The group's SIGTERM must not kill the host before it has ended its
  // descendants (those in other sessions would escape): a plugin that
  // reset SIGTERM to its default gets the cancel handler back.
  struct sigaction current {};
  if (::sigaction(SIGTERM, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    struct sigaction sa {};
    sa.sa_handler = OnStopSignal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGTERM, &sa, nullptr);
  }
  // The group is the attempt's only when the host leads it (the runner
  // starts it so); a host run by hand must not signal its shell's group.
  if (::getpgrp() == ::getpid()) {
    ::kill(0, SIGTERM);
  } else {
    ForEachChild([](pid_t pid) { ::kill(pid, SIGTERM); });
  }
  int64_t grace = g_grace_ms.load(std::memory_order_relaxed);
  struct sigevent ev {};
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = sig;
  int timer = -1;
  if (grace <= 0 || ::syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &timer) != 0) {
    KillDescendants();
    ::_exit(stage_protocol::kExitStageFailed);
  }
  struct itimerspec when {};
  when.it_value.tv_sec = grace / 1000;
  when.it_value.tv_nsec = (grace % 1000) * 1'000'000;
  ::syscall(SYS_timer_settime, timer, 0, &when, nullptr);
}

}  // namespace

int ParentDeathSignal() { return SIGRTMAX - 2; }

void SetParentDeathGrace(std::chrono::milliseconds grace) {
  g_grace_ms.store(grace.count(), std::memory_order_relaxed);
}

void WatchParent(pid_t expected_parent, std::atomic<bool>* stop) {
  g_stop = stop;
  const int sig = ParentDeathSignal();
  struct sigaction sa {};
  sa.sa_sigaction = OnParentDeath;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  ::sigaction(sig, &sa, nullptr);
  ::prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0);
  if (::getppid() != expected_parent) ::kill(::getpid(), sig);  // died before we asked
}

}  // namespace mlops::host
