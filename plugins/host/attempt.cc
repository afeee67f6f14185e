#include "attempt.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <vector>

#include "event_channel.h"
#include "parent_watch.h"
#include "process_tree.h"
#include "stage_context.h"
#include "stage_protocol.h"
#include "stage_spec.h"

namespace mlops::host {
namespace {

namespace proto = stage_protocol;

std::atomic<bool> g_stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void OnStopSignal(int) { g_stop_requested.store(true, std::memory_order_relaxed); }

// Reads all of `fd` from offset 0 (pread: a memfd's offset is not ours to
// trust) and closes it.
bool ReadWholeFd(int fd, std::string* out) {
  char buf[8192];
  ssize_t n;
  off_t offset = 0;
  while ((n = ::pread(fd, buf, sizeof buf, offset)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    out->append(buf, static_cast<size_t>(n));
    offset += n;
  }
  int saved = errno;
  ::close(fd);
  errno = saved;
  return n == 0;
}

bool ReadSpec(const SpecSource& from, std::string* out, std::string* source) {
  if (from.fd >= 0) {
    *source = "spec fd " + std::to_string(from.fd);
    return ReadWholeFd(from.fd, out);
  }
  *source = "spec " + from.file;
  int fd = ::open(from.file.c_str(), O_RDONLY | O_CLOEXEC);
  return fd >= 0 && ReadWholeFd(fd, out);
}

// Puts this process under the attempt's memory limit: into its cgroup, or
// under RLIMIT_DATA when there is none. Everything it starts inherits it.
bool ApplyMemoryLimit(const StageSpec& spec, std::string* error) {
  if (!spec.cgroup.empty()) {
    const std::string procs = spec.cgroup + "/cgroup.procs";
    int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || !WriteAll(fd, "0")) {
      *error = "cannot join the attempt's cgroup " + spec.cgroup + ": " + std::strerror(errno);
      if (fd >= 0) ::close(fd);
      return false;
    }
    ::close(fd);
    return true;
  }
  if (spec.memory_limit_bytes <= 0) return true;
  struct rlimit limit;
  limit.rlim_cur = limit.rlim_max = static_cast<rlim_t>(spec.memory_limit_bytes);
  if (::setrlimit(RLIMIT_DATA, &limit) != 0) {
    *error = std::string("cannot set RLIMIT_DATA for the memory limit: ") + std::strerror(errno);
    return false;
  }
  return true;
}

// The start of `error`, at most kMaxErrorBytes, cut at a UTF-8 character
// boundary and saying how much was cut.
std::string CapErrorText(std::string error) {
  if (error.size() <= proto::kMaxErrorBytes) return error;
  const size_t total = error.size();
  size_t keep = proto::kMaxErrorBytes - 64;
  while (keep > 0 && (static_cast<unsigned char>(error[keep]) & 0xC0) == 0x80) --keep;
  error.resize(keep);
  error += " ... [error text cut: " + std::to_string(total - keep) + " of " +
           std::to_string(total) + " bytes left out]";
  return error;
}

}  // namespace

std::atomic<bool>& StopFlag() { return g_stop_requested; }

void InstallStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
}

void PrintError(const std::string& message) {
  WriteAll(STDERR_FILENO, "mlops-stage: " + message + "\n");
}

void EndDescendants() {
  // No child at all, the usual case once the plugin has waited for its
  // command: one waitid() answers that, without reading /proc. Grandchildren
  // orphaned below this subreaper are its children too.
  siginfo_t info{};
  if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT | __WALL) != 0 && errno == ECHILD) {
    return;
  }
  for (int round = 0; round < 64; ++round) {
    std::vector<pid_t> children = proctree::ListChildren();
    if (children.empty()) return;
    for (pid_t pid : children) ::kill(pid, SIGKILL);
    for (pid_t pid : children) ::waitpid(pid, nullptr, __WALL);
  }
}

void Exit(int code) {
  std::fflush(nullptr);
  ::_exit(code);
}

int RunAttempt(const AttemptPlugin& plugin, const SpecSource& spec_source) {
  // fd 3 must not leak into anything the plugin starts.
  int event_fd = ::fcntl(proto::kEventFd, F_SETFD, FD_CLOEXEC) == 0 ? proto::kEventFd : -1;
  EventChannel events(event_fd);
  InstallStopHandlers();
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

  auto fail = [&](int code, const std::string& message) {
    PrintError(message);
    SendResult(&events, MLOPS_ERROR, message);
    return code;
  };

  std::string text, error, source;
  if (!ReadSpec(spec_source, &text, &source)) {
    return fail(proto::kExitUsage, "cannot read " + source + ": " + std::strerror(errno));
  }
  StageSpec spec;
  if (!ParseStageSpec(text, &spec, &error)) return fail(proto::kExitUsage, source + ": " + error);
  SetParentDeathGrace(std::chrono::milliseconds(spec.kill_grace_ms));
  if (!ApplyMemoryLimit(spec, &error)) return fail(proto::kExitUsage, error);
  // A relative plugin path means relative to where the host was started.
  char resolved[PATH_MAX];
  std::string plugin_file = plugin.path;
  if (plugin.loaded == nullptr && plugin.load_error.empty() &&
      ::realpath(plugin.path.c_str(), resolved) != nullptr) {
    plugin_file = resolved;
  }
  for (const auto& [key, value] : spec.env) ::setenv(key.c_str(), value.c_str(), 1);
  ::setenv(proto::kAttemptEnv, std::to_string(spec.attempt_id).c_str(), 1);
  if (::chdir(spec.work_dir.c_str()) != 0) {
    return fail(proto::kExitUsage,
                "cannot enter work dir " + spec.work_dir + ": " + std::strerror(errno));
  }
  if (!plugin.load_error.empty()) return fail(proto::kExitLoadFailed, plugin.load_error);
  LoadedPlugin loaded_here;
  const LoadedPlugin* loaded = plugin.loaded;
  if (loaded == nullptr) {
    if (!LoadPlugin(plugin_file, &loaded_here, &error)) return fail(proto::kExitLoadFailed, error);
    loaded = &loaded_here;
  }

  mlops_stage stage;
  stage.spec = &spec;
  stage.events = &events;
  stage.cancelled = &StopFlag();
  mlops_host_api api = MakeHostApi();
  mlops_status status = MLOPS_ERROR;
  std::string thrown;
  try {
    status = loaded->info.run(&stage, &api);
  } catch (const std::bad_alloc& e) {
    thrown = std::string("plugin ") + loaded->info.name + " threw an exception: " + e.what();
    if (spec.memory_limit_bytes > 0) {
      thrown = "exceeded its memory limit of " + std::to_string(spec.memory_limit_bytes >> 20) +
               " MiB (" + thrown + ")";
    }
  } catch (const std::exception& e) {
    thrown = std::string("plugin ") + loaded->info.name + " threw an exception: " + e.what();
  } catch (...) {
    thrown = std::string("plugin ") + loaded->info.name + " threw an unknown exception";
  }
  EndDescendants();

  if (!thrown.empty()) status = MLOPS_ERROR;
  if (status == MLOPS_OK) {
    error.clear();
  } else if (!thrown.empty()) {
    error = thrown;
  } else {
    std::lock_guard<std::mutex> lock(stage.mu);
    error = stage.error;
  }
  if (status != MLOPS_OK && error.empty()) {
    error = std::string("plugin ") + loaded->info.name + " returned " + StatusName(status);
  }
  error = CapErrorText(std::move(error));
  if (!error.empty()) PrintError(error);
  SendResult(&events, status, error);
  return status == MLOPS_OK ? proto::kExitOk : proto::kExitStageFailed;
}

}  // namespace mlops::host
