// No stage outlives the daemon. A stage host asks the kernel for a signal
// when the process that started it dies (PR_SET_PDEATHSIG; kill -9 of the
// daemon included) and then does what the daemon would have done on a
// timeout: cancel (the plugin's is_cancelled() turns true), SIGTERM to the
// host's process group, the kill grace, then every descendant killed and
// the host gone.
//
// The parent-death signal is a real-time one (kParentDeathSignal()), not
// SIGTERM: a plugin that ignores SIGTERM must not be able to opt out. It is
// handled inside the host, async-signal-safely, with a POSIX timer for the
// grace; no thread (a second thread makes reaping each host cost ~3 ms of
// kernel time here). Plugins must leave that signal alone (plugin.h).
//
// The children of a fork server watch the server the same way; the server
// itself watches the daemon (fork_server.h).
// Thread-safety: call from the host's main thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>

namespace mlops::host {

// The signal the kernel sends a stage host whose parent died.
int ParentDeathSignal();

// Installs the handler and PR_SET_PDEATHSIG, then checks that the parent is
// still `expected_parent`; if it has died already, acts at once. The
// handler sets *stop (which must outlive the process).
void WatchParent(pid_t expected_parent, std::atomic<bool>* stop);

// The grace between SIGTERM and the end (default 5 s); set once the spec
// is read.
void SetParentDeathGrace(std::chrono::milliseconds grace);

}  // namespace mlops::host
