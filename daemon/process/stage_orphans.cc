#include "process/stage_orphans.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "process_tree.h"

namespace mlops {
namespace {

// Guards the set and orders spawns against sweep passes.
std::mutex& HostsMutex() {
  static std::mutex mu;
  return mu;
}

std::unordered_set<pid_t>& LiveHosts() {
  static std::unordered_set<pid_t> hosts;
  return hosts;
}

}  // namespace

Status BecomeChildSubreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    return Status::FromErrno("prctl(PR_SET_CHILD_SUBREAPER)", errno);
  }
  return Status::OK();
}

bool IsChildSubreaper() {
  int flag = 0;
  return ::prctl(PR_GET_CHILD_SUBREAPER, &flag, 0, 0, 0) == 0 && flag != 0;
}

pid_t SpawnStageHost(const std::function<pid_t()>& spawn) {
  std::lock_guard<std::mutex> lock(HostsMutex());
  pid_t pid = spawn();
  if (pid > 0) LiveHosts().insert(pid);
  return pid;
}

void ForgetStageHost(pid_t pid) {
  std::lock_guard<std::mutex> lock(HostsMutex());
  LiveHosts().erase(pid);
}

OrphanSweep SweepStageOrphans(std::chrono::milliseconds wait) {
  const pid_t own_sid = ::getsid(0);
  const auto give_up = std::chrono::steady_clock::now() + wait;
  auto pause = std::chrono::microseconds(200);
  OrphanSweep sweep;
  for (;;) {
    sweep.remaining = 0;
    {
      std::lock_guard<std::mutex> lock(HostsMutex());
      for (pid_t pid : proctree::ListChildren()) {
        if (LiveHosts().count(pid) != 0) continue;
        proctree::ProcStat stat;
        if (!proctree::ReadProcStat(pid, &stat) || stat.sid == own_sid) continue;
        if (stat.state == 'Z') {
          if (::waitpid(pid, nullptr, WNOHANG | __WALL) == pid) ++sweep.reaped;
        } else {
          if (::kill(pid, SIGKILL) == 0) ++sweep.killed;
          ++sweep.remaining;
        }
      }
    }
    if (sweep.remaining == 0 || std::chrono::steady_clock::now() >= give_up) return sweep;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(10'000));
  }
}

}  // namespace mlops
