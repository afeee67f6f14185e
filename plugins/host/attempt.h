// One stage attempt inside a stage host process: read the spec, enter the
// work dir, apply the environment, call the plugin's run() once, end what
// it left behind, report the result on fd 3. Shared by the host started for
// one attempt (`mlops-stage --plugin`) and the children of a fork server
// (`mlops-stage --serve`), so both behave alike to the byte.
// Thread-safety: process-wide state (the stop flag, signal handlers); the
// functions are called by the host's main thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <string>

#include "plugin_loader.h"

namespace mlops::host {

// The plugin an attempt runs.
struct AttemptPlugin {
  std::string path;                      // as given on the command line
  const LoadedPlugin* loaded = nullptr;  // already loaded (by a fork server)
  std::string load_error;                // the fork server could not load it
};

// Where the spec comes from: a file (by hand) or an inherited descriptor.
struct SpecSource {
  int fd = -1;       // read whole from offset 0, then closed
  std::string file;  // used when fd < 0
};

// Set by SIGTERM / SIGINT (and by a parent watch): the plugin's
// is_cancelled().
std::atomic<bool>& StopFlag();

// SIGTERM and SIGINT set StopFlag().
void InstallStopHandlers();

// Runs the attempt and returns the host's exit code (stage_protocol.h).
// Makes this process a child subreaper first, and hands the spec's kill
// grace to the parent watch (parent_watch.h), which the caller has armed.
int RunAttempt(const AttemptPlugin& plugin, const SpecSource& spec_source);

// The host is a child subreaper, so whatever the plugin started and left
// behind (even in another session) is a child here: kills and reaps it all.
void EndDescendants();

// "mlops-stage: <message>" on stderr.
void PrintError(const std::string& message);

// Flushes stdio and _exits: no static destructors or atexit handlers of
// plugin code run after the result is out.
[[noreturn]] void Exit(int code);

}  // namespace mlops::host
