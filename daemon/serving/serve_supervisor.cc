#include "serving/serve_supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "mlops/common/files.h"
#include "process/stage_orphans.h"
#include "serving/shared/serve_stats.h"

extern char** environ;

namespace mlops::serving {
namespace {

// Field 22 of /proc/PID/stat (start time in clock ticks), 0 when the
// process is gone. The command name (field 2) may hold spaces and ')'.
uint64_t StartTicks(pid_t pid) {
  std::string text;
  if (!ReadFile("/proc/" + std::to_string(pid) + "/stat", &text).ok()) return 0;
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> fields;
  size_t at = close + 2;
  while (at < text.size()) {
    size_t end = text.find(' ', at);
    if (end == std::string::npos) end = text.size();
    fields.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  // fields[0] is field 3 (state); the start time is field 22.
  if (fields.size() < 20 || fields[0] == "Z") return 0;
  return std::strtoull(fields[19].c_str(), nullptr, 10);
}

bool IsServe(pid_t pid) {
  std::string comm;
  if (!ReadFile("/proc/" + std::to_string(pid) + "/comm", &comm).ok()) return false;
  return comm.rfind("mlops-serve", 0) == 0;
}

std::string ExitText(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "ended";
}

}  // namespace

std::string ServeSupervisor::PidFile(const std::string& state_dir) {
  return JoinPath(JoinPath(state_dir, "serving"), "mlops-serve.pid");
}

ServeSupervisor::ServeSupervisor(ServeSupervisorOptions options) : options_(std::move(options)) {}

ServeSupervisor::~ServeSupervisor() { Stop(); }

Status ServeSupervisor::Start() {
  if (::access(options_.binary.c_str(), X_OK) != 0) {
    return Status::NotFound("serving: the mlops-serve binary " + options_.binary +
                            " is missing or not executable");
  }
  MLOPS_RETURN_IF_ERROR(MakeDirs(JoinPath(options_.state_dir, "serving"), 0755));
  MLOPS_RETURN_IF_ERROR(MakeDirs(JoinPath(options_.state_dir, "logs"), 0700));
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::string text;
    if (ReadFile(PidFile(options_.state_dir), &text).ok()) {
      long long pid = 0;
      unsigned long long ticks = 0;
      if (std::sscanf(text.c_str(), "%lld %llu", &pid, &ticks) == 2 && pid > 1 &&
          StartTicks(static_cast<pid_t>(pid)) == ticks && IsServe(static_cast<pid_t>(pid))) {
        pid_ = static_cast<pid_t>(pid);
        start_ticks_ = ticks;
        adopted_ = true;
        started_at_ = std::chrono::steady_clock::now();
        spdlog::info("serving: adopted the running mlops-serve (pid {})", pid_);
      }
    }
    if (pid_ < 0) Spawn();
  }
  thread_ = std::thread([this] { Watch(); });
  return Status::OK();
}

void ServeSupervisor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// REQUIRES: mu_ held.
void ServeSupervisor::Spawn() {
  // A stale address would name a server that is gone: the new one writes
  // its own once it answers. A link (the systemd unit's layout) stays;
  // what it points at goes.
  const std::string addr = ServeAddrPath(options_.state_dir);
  struct stat st;
  if (::lstat(addr.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    char target[4096];
    const ssize_t n = ::readlink(addr.c_str(), target, sizeof target - 1);
    if (n > 0) {
      target[n] = '\0';
      const std::string to = target[0] == '/' ? std::string(target) : JoinPath(options_.state_dir, target);
      ::unlink(to.c_str());
    }
  } else {
    ::unlink(addr.c_str());
  }
  std::vector<std::string> args = {options_.binary, "--state-dir", options_.state_dir,
                                   "--listen", options_.listen};
  if (!options_.config_file.empty()) {
    args.push_back("--config");
    args.push_back(options_.config_file);
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log = JoinPath(JoinPath(options_.state_dir, "logs"), "mlops-serve.log");
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&files, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&files, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  // mlopsd blocks its stop signals in every thread: the server must not
  // inherit that mask.
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  int err = 0;
  const pid_t pid = SpawnStageHost([&]() -> pid_t {
    pid_t child = -1;
    err = posix_spawn(&child, argv[0], &files, &attr, argv.data(), environ);
    return err == 0 ? child : -1;
  });
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  started_at_ = std::chrono::steady_clock::now();
  if (pid < 0) {
    last_exit_ = std::string("could not start: ") + std::strerror(err);
    spdlog::error("serving: cannot start {}: {}", options_.binary, std::strerror(err));
    return;
  }
  pid_ = pid;
  adopted_ = false;
  start_ticks_ = StartTicks(pid);
  const std::string line = std::to_string(pid) + " " + std::to_string(start_ticks_) + "\n";
  Status s = WriteFileAtomic(PidFile(options_.state_dir), line, 0644);
  if (!s.ok()) spdlog::warn("serving: {}", s.message());
  spdlog::info("serving: started mlops-serve (pid {}) on {}", pid, options_.listen);
}

// REQUIRES: mu_ held.
bool ServeSupervisor::Alive() {
  if (pid_ < 0) return false;
  if (adopted_) {
    if (StartTicks(pid_) == start_ticks_) return true;
    last_exit_ = "adopted process ended";
  } else {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == 0) return true;
    last_exit_ = r == pid_ ? ExitText(status) : "ended (status unknown)";
    ForgetStageHost(pid_);
  }
  spdlog::warn("serving: mlops-serve (pid {}) {}; restarting in {} ms", pid_, last_exit_,
               backoff_.count());
  pid_ = -1;
  return false;
}

void ServeSupervisor::Watch() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (!Alive()) {
      const auto ran = std::chrono::steady_clock::now() - started_at_;
      if (ran > options_.restart_backoff_max) backoff_ = std::chrono::milliseconds(1000);
      const auto wait = backoff_;
      backoff_ = std::min(backoff_ * 2, options_.restart_backoff_max);
      if (cv_.wait_for(lock, wait, [this] { return stopping_; })) break;
      ++restarts_;
      Spawn();
    }
    cv_.wait_for(lock, options_.poll, [this] { return stopping_; });
  }
}

nlohmann::json ServeSupervisor::StatusJson() {
  std::lock_guard<std::mutex> lock(mu_);
  std::string state = pid_ < 0 ? (stopping_ ? "stopped" : "waiting to restart")
                               : (adopted_ ? "adopted" : "running");
  return {{"state", state}, {"pid", pid_}, {"restarts", restarts_}, {"last_exit", last_exit_},
          {"binary", options_.binary}};
}

}  // namespace mlops::serving
