#include "child_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mlops::exec {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kPollMillis = 50;

std::string FindProgram(const std::string& name, const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (const std::string& entry : env) {
    if (entry.rfind("PATH=", 0) == 0) path = entry.substr(5);
  }
  size_t start = 0;
  for (;;) {
    size_t colon = path.find(':', start);
    std::string dir = path.substr(start, colon == std::string::npos ? colon : colon - start);
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string::npos) return std::string();
    start = colon + 1;
  }
}

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

int Spawn(const std::string& program, const std::vector<std::string>& argv,
          const std::vector<std::string>& env, pid_t* pid) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);
  ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2}) {
    sigaddset(&defaults, sig);
  }
  ::posix_spawnattr_setsigmask(&attr, &empty);
  ::posix_spawnattr_setsigdefault(&attr, &defaults);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> c_argv = CStrings(argv);
  std::vector<char*> c_env = CStrings(env);
  int rc = ::posix_spawn(pid, program.c_str(), &actions, &attr, c_argv.data(), c_env.data());
  ::posix_spawnattr_destroy(&attr);
  ::posix_spawn_file_actions_destroy(&actions);
  return rc;
}

}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                         const std::function<bool()>& should_stop,
                         std::chrono::milliseconds grace) {
  CommandResult result;
  std::string program = FindProgram(argv[0], env);
  if (program.empty()) {
    result.error = "command not found: " + argv[0];
    return result;
  }
  pid_t pid = 0;
  if (int rc = Spawn(program, argv, env, &pid); rc != 0) {
    result.error = "cannot run " + program + ": " + std::strerror(rc);
    return result;
  }
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  bool killed = false;
  Clock::time_point kill_at{};
  int status = 0;
  for (;;) {
    if (pidfd >= 0) {
      struct pollfd p = {pidfd, POLLIN, 0};
      ::poll(&p, 1, kPollMillis);
    } else {
      ::usleep(kPollMillis * 1000 / 10);
    }
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) {
      result.error = std::string("cannot wait for the command: ") + std::strerror(errno);
      ::kill(pid, SIGKILL);
      break;
    }
    if (!result.stopped && should_stop()) {
      result.stopped = true;
      ::kill(pid, SIGTERM);
      kill_at = Clock::now() + grace;
    }
    if (result.stopped && !killed && Clock::now() >= kill_at) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
  }
  if (pidfd >= 0) ::close(pidfd);
  if (!result.error.empty()) return result;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

std::string SignalName(int signal) {
  const char* abbrev = ::sigabbrev_np(signal);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
}

}  // namespace mlops::exec
