// The fork server: `mlops-stage --serve PLUGIN.so --parent PID`. Loads one
// plugin once (its static constructors and entry function run here, once),
// then runs every attempt the runner asks for in a child fork()ed for it:
// the child starts a session of its own, takes the attempt's descriptors as
// stdout, stderr and fd 3, and runs the attempt exactly as a stage host
// started for it would (attempt.h). The plugin's run() never runs in the
// server, so nothing a plugin does in an attempt (crash, leak, hang) can
// reach the server or the next attempt.
//
// The server is a child subreaper: what escapes a dead child's process
// group comes back to it, and it kills and reaps all of it before it
// reports the child's exit. It ends every running attempt (cancel,
// SIGTERM, the attempt's grace, SIGKILL) and exits when the daemon goes
// away: end of file on its socket, or the SIGTERM it asks for as its
// parent-death signal. Each child watches the server as a host started for one attempt
// watches the daemon (parent_watch.h), so that no attempt outlives both.
// Protocol: fork_server_protocol.h.
// Thread-safety: runs on the server's main thread, which it never leaves.
#pragma once

#include <sys/types.h>

#include <string>

namespace mlops::host {

// Serves until the daemon is gone; returns the server's exit code.
// `parent` is the daemon's pid (0: whoever started the server).
int Serve(const std::string& plugin_path, pid_t parent);

}  // namespace mlops::host
