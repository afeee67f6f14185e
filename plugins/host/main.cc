// mlops-stage: the stage host. The only process that maps plugin code: it
// loads ONE plugin, runs one stage attempt, streams events to the daemon
// on fd 3 and exits. Protocol in stage_protocol.h.
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "event_channel.h"
#include "plugin_loader.h"
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

// The spec comes from a file (by hand) or an inherited descriptor (the runner).
bool ReadSpec(const char* flag, const char* value, std::string* out, std::string* source) {
  if (std::strcmp(flag, proto::kSpecFdFlag) == 0) {
    *source = std::string("spec fd ") + value;
    char* end = nullptr;
    long fd = std::strtol(value, &end, 10);
    if (end == value || *end != '\0' || fd < 0) {
      errno = EBADF;
      return false;
    }
    return ReadWholeFd(static_cast<int>(fd), out);
  }
  *source = std::string("spec ") + value;
  int fd = ::open(value, O_RDONLY | O_CLOEXEC);
  return fd >= 0 && ReadWholeFd(fd, out);
}

// The host is a child subreaper, so whatever the plugin started and left
// behind (even in another session) is now a child here: end it all.
void EndDescendants() {
  for (int round = 0; round < 64; ++round) {
    std::vector<pid_t> children = proctree::ListChildren();
    if (children.empty()) return;
    for (pid_t pid : children) ::kill(pid, SIGKILL);
    for (pid_t pid : children) ::waitpid(pid, nullptr, __WALL);
  }
}

[[noreturn]] void Exit(int code) {
  std::fflush(nullptr);
  // No static destructors or atexit handlers of plugin code after the
  // result is out: a crash there must not turn a reported outcome around.
  ::_exit(code);
}

int Describe(const char* plugin_path) {
  LoadedPlugin plugin;
  std::string error;
  if (!LoadPlugin(plugin_path, &plugin, &error)) {
    PrintError(error);
    return proto::kExitLoadFailed;
  }
  std::string name = plugin.info.name, version = plugin.info.version;
  auto quote = [](const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20) {
        char esc[8];
        std::snprintf(esc, sizeof esc, "\\u%04x", c);
        out += esc;
      } else {
        out += static_cast<char>(c);
      }
    }
    return out + "\"";
  };
  std::string line = "{\"name\":" + quote(name) + ",\"version\":" + quote(version) +
                     ",\"abi_major\":" + std::to_string(plugin.info.abi_major) +
                     ",\"abi_minor\":" + std::to_string(plugin.info.abi_minor) + "}\n";
  return WriteAll(STDOUT_FILENO, line) ? proto::kExitOk : proto::kExitUsage;
}

int RunStage(const char* plugin_path, const char* spec_flag, const char* spec_value) {
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
  if (!ReadSpec(spec_flag, spec_value, &text, &source)) {
    return fail(proto::kExitUsage, "cannot read " + source + ": " + std::strerror(errno));
  }
  StageSpec spec;
  if (!ParseStageSpec(text, &spec, &error)) return fail(proto::kExitUsage, source + ": " + error);
  // A relative plugin path means relative to where the host was started.
  char resolved[PATH_MAX];
  std::string plugin_file = ::realpath(plugin_path, resolved) != nullptr ? resolved : plugin_path;
  for (const auto& [key, value] : spec.env) ::setenv(key.c_str(), value.c_str(), 1);
  ::setenv(proto::kAttemptEnv, std::to_string(spec.attempt_id).c_str(), 1);
  if (::chdir(spec.work_dir.c_str()) != 0) {
    return fail(proto::kExitUsage,
                "cannot enter work dir " + spec.work_dir + ": " + std::strerror(errno));
  }
  LoadedPlugin plugin;
  if (!LoadPlugin(plugin_file, &plugin, &error)) return fail(proto::kExitLoadFailed, error);

  mlops_stage stage;
  stage.spec = &spec;
  stage.events = &events;
  stage.cancelled = &g_stop_requested;
  mlops_host_api api = MakeHostApi();
  mlops_status status = MLOPS_ERROR;
  std::string thrown;
  try {
    status = plugin.info.run(&stage, &api);
  } catch (const std::exception& e) {
    thrown = std::string("plugin ") + plugin.info.name + " threw an exception: " + e.what();
  } catch (...) {
    thrown = std::string("plugin ") + plugin.info.name + " threw an unknown exception";
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
    error = std::string("plugin ") + plugin.info.name + " returned " + StatusName(status);
  }
  if (!error.empty()) PrintError(error);
  SendResult(&events, status, error);
  return status == MLOPS_OK ? proto::kExitOk : proto::kExitStageFailed;
}

int Usage() {
  PrintError("usage: mlops-stage --describe PLUGIN.so\n"
             "       mlops-stage --plugin PLUGIN.so --spec SPEC.json\n"
             "       mlops-stage --plugin PLUGIN.so --spec-fd FD");
  return proto::kExitUsage;
}

}  // namespace
}  // namespace mlops::host

int main(int argc, char** argv) {
  using namespace mlops::host;
  namespace proto = mlops::stage_protocol;
  if (argc == 3 && std::strcmp(argv[1], proto::kDescribeFlag) == 0) Exit(Describe(argv[2]));
  if (argc == 5 && std::strcmp(argv[1], proto::kPluginFlag) == 0 &&
      (std::strcmp(argv[3], proto::kSpecFlag) == 0 ||
       std::strcmp(argv[3], proto::kSpecFdFlag) == 0)) {
    Exit(RunStage(argv[2], argv[3], argv[4]));
  }
  Exit(Usage());
}
