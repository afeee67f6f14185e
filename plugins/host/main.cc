// mlops-stage: the stage host. The only program that maps plugin code: it
// loads ONE plugin and runs one stage attempt, streaming events to the
// daemon on fd 3, or (--serve) serves many attempts of one plugin, each in
// a child of its own. Protocol in stage_protocol.h.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "attempt.h"
#include "event_channel.h"
#include "fork_server.h"
#include "fork_server_protocol.h"
#include "parent_watch.h"
#include "plugin_loader.h"
#include "stage_protocol.h"

namespace mlops::host {
namespace {

namespace proto = stage_protocol;

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

// A pid argument; 0 when malformed.
pid_t ParsePid(const char* text) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  return end != text && *end == '\0' && v > 0 ? static_cast<pid_t>(v) : 0;
}

int Usage() {
  PrintError("usage: mlops-stage --describe PLUGIN.so\n"
             "       mlops-stage --plugin PLUGIN.so --spec SPEC.json\n"
             "       mlops-stage --plugin PLUGIN.so --spec-fd FD [--parent PID]\n"
             "       mlops-stage --serve PLUGIN.so [--parent PID]   (socket on fd 3)");
  return proto::kExitUsage;
}

// --plugin P (--spec FILE | --spec-fd FD) [--parent PID]
int RunOne(const char* plugin_path, const char* spec_flag, const char* spec_value,
           pid_t parent) {
  SpecSource spec;
  if (std::strcmp(spec_flag, proto::kSpecFdFlag) == 0) {
    char* end = nullptr;
    long fd = std::strtol(spec_value, &end, 10);
    if (end == spec_value || *end != '\0' || fd < 0 || fd > 65535) return Usage();
    spec.fd = static_cast<int>(fd);
  } else {
    spec.file = spec_value;
  }
  // Started by hand, the host still ends with whoever started it.
  WatchParent(parent > 0 ? parent : ::getppid(), &StopFlag());
  AttemptPlugin plugin;
  plugin.path = plugin_path;
  return RunAttempt(plugin, spec);
}

bool Is(const char* arg, const char* flag) { return std::strcmp(arg, flag) == 0; }

int Main(int argc, char** argv) {
  if (argc == 3 && Is(argv[1], proto::kDescribeFlag)) return Describe(argv[2]);
  pid_t parent = 0;
  if (argc >= 5 && Is(argv[argc - 2], proto::kParentFlag)) {
    parent = ParsePid(argv[argc - 1]);
    if (parent == 0) return Usage();
    argc -= 2;
  }
  if (argc == 3 && Is(argv[1], proto::kServeFlag)) return Serve(argv[2], parent);
  if (argc == 5 && Is(argv[1], proto::kPluginFlag) &&
      (Is(argv[3], proto::kSpecFlag) || Is(argv[3], proto::kSpecFdFlag))) {
    return RunOne(argv[2], argv[3], argv[4], parent);
  }
  return Usage();
}

}  // namespace
}  // namespace mlops::host

int main(int argc, char** argv) { mlops::host::Exit(mlops::host::Main(argc, argv)); }
