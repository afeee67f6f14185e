#include "process/stage_host_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <tuple>
#include <nlohmann/json.hpp>

#include "mlops/common/files.h"
#include "process/stage_host_env.h"
#include "process/stage_orphans.h"
#include "fork_server_protocol.h"
#include "stage_protocol.h"


namespace mlops {
namespace {

namespace proto = stage_protocol;

// Moves `fd` to a number >= 10 (close-on-exec), so that the dup2 actions
// onto 0..3 in the child can never overwrite one another's sources.
int MoveHigh(int fd) {
  if (fd < 0 || fd >= 10) return fd;
  int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  ::close(fd);
  return high;
}

// MakeDirs, after one stat() for the usual case: a folder that exists
// (MakeDirs mkdir()s every component, each under its parent's lock).
Status EnsureDir(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::OK();
  return MakeDirs(dir);
}

// The spec travels in a sealed memfd rather than a file: an inode per
// attempt costs more than the rest of an exec stage on ext4.
Status MakeSpecFd(const std::string& text, int* out) {
  int fd = ::memfd_create("mlops-stage-spec", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return Status::FromErrno("memfd_create for the stage spec", errno);
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      return Status::FromErrno("cannot write the stage spec", err);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  *out = fd;
  return Status::OK();
}

int Spawn(const std::string& host_path, const AttemptSpec& spec, const AttemptIoEnds& ends,
          pid_t* pid) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);
  ::posix_spawn_file_actions_adddup2(&actions, ends.output, STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(&actions, ends.output, STDERR_FILENO);
  ::posix_spawn_file_actions_adddup2(&actions, ends.event, proto::kEventFd);
  ::posix_spawn_file_actions_adddup2(&actions, ends.spec, proto::kSpecFd);
  ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // Descriptors the daemon holds without O_CLOEXEC (inherited from its own
  // parent, or opened so by a library) must not reach plugin code.
  ::posix_spawn_file_actions_addclosefrom_np(&actions, proto::kSpecFd + 1);
  SetStageSpawnAttributes(&attr);
  std::string plugin = spec.plugin_path;
  std::string spec_fd_arg = std::to_string(proto::kSpecFd);
  std::string parent = std::to_string(::getpid());
  char* argv[] = {const_cast<char*>(host_path.c_str()), const_cast<char*>(proto::kPluginFlag),
                  plugin.data(), const_cast<char*>(proto::kSpecFdFlag), spec_fd_arg.data(),
                  const_cast<char*>(proto::kParentFlag), parent.data(), nullptr};
  StageHostEnvironment env;
  int rc = ::posix_spawn(pid, host_path.c_str(), &actions, &attr, argv, env.envp());
  ::posix_spawnattr_destroy(&attr);
  ::posix_spawn_file_actions_destroy(&actions);
  return rc;
}

}  // namespace

std::string StageSpecJson(const AttemptSpec& spec) {
  nlohmann::json inputs = nlohmann::json::array();
  for (const InputArtifact& in : spec.inputs) inputs.push_back({{"name", in.name}, {"path", in.path}});
  nlohmann::json doc = {{"attempt_id", spec.attempt_id},
                        {"params_json", spec.params_json.empty() ? "{}" : spec.params_json},
                        {"inputs", std::move(inputs)},
                        {"work_dir", spec.work_dir},
                        {"scratch_dir", spec.scratch_dir},
                        {"env", spec.env},
                        {"kill_grace_ms", spec.kill_grace.count()}};
  if (spec.memory_limit_bytes > 0) doc["memory_limit_bytes"] = spec.memory_limit_bytes;
  if (!spec.cgroup.empty()) doc["cgroup"] = spec.cgroup;
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void AttemptIoEnds::Close() {
  for (int* fd : {&event, &output, &spec}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

Status OpenAttemptIo(const AttemptSpec& spec, LogFilePool* logs, HostProcess* host,
                     AttemptIoEnds* ends) {
  if (spec.log_path.empty()) return Status::InvalidArgument("attempt has no log path");
  MLOPS_RETURN_IF_ERROR(EnsureDir(DirName(spec.log_path)));
  AttemptIoEnds made;
  MLOPS_RETURN_IF_ERROR(MakeSpecFd(StageSpecJson(spec), &made.spec));
  made.spec = MoveHigh(made.spec);

  host->log_fd = MoveHigh(logs->OpenLog(spec.log_path));
  if (host->log_fd < 0 || made.spec < 0) {
    int err = errno;
    made.Close();
    CloseHostFds(host);
    return Status::FromErrno("cannot open stage log " + spec.log_path, err);
  }
  for (auto [read_end, write_end, what] :
       {std::tuple{&host->events_fd, &made.event, "event"},
        std::tuple{&host->output_fd, &made.output, "output"}}) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) == 0) {
      *read_end = MoveHigh(pipe_fds[0]);
      *write_end = MoveHigh(pipe_fds[1]);
    }
    if (*read_end < 0 || *write_end < 0) {
      int err = errno;
      made.Close();
      CloseHostFds(host);
      return Status::FromErrno(std::string("cannot create the ") + what + " pipe", err);
    }
    ::fcntl(*read_end, F_SETFL, O_NONBLOCK);
  }
  *ends = made;
  return Status::OK();
}

void SetStageSpawnAttributes(posix_spawnattr_t* attr) {
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2}) {
    sigaddset(&defaults, sig);
  }
  ::posix_spawnattr_setsigmask(attr, &empty);
  ::posix_spawnattr_setsigdefault(attr, &defaults);
  ::posix_spawnattr_setflags(
      attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

Status StartStageHost(const std::string& host_path, const AttemptSpec& spec, LogFilePool* logs,
                      HostProcess* out) {
  HostProcess host;
  AttemptIoEnds ends;
  MLOPS_RETURN_IF_ERROR(OpenAttemptIo(spec, logs, &host, &ends));
  int rc = 0;
  SpawnStageHost([&]() -> pid_t {
    rc = Spawn(host_path, spec, ends, &host.pid);
    return rc == 0 ? host.pid : -1;
  });
  ends.Close();
  if (rc != 0) {
    CloseHostFds(&host);
    return Status::IOError("cannot start stage host " + host_path + ": " + std::strerror(rc));
  }
  host.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, host.pid, 0));
  if (host.pidfd < 0) {
    int err = errno;
    ::kill(-host.pid, SIGKILL);
    ::waitpid(host.pid, nullptr, 0);
    ForgetStageHost(host.pid);
    CloseHostFds(&host);
    return Status::FromErrno("pidfd_open of the stage host", err);
  }
  *out = host;
  return Status::OK();
}

void CloseHostFds(HostProcess* host) {
  for (int* fd : {&host->pidfd, &host->events_fd, &host->log_fd, &host->output_fd}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

}  // namespace mlops
