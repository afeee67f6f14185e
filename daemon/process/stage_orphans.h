// Processes that outlive their stage. Every stage host starts in its own
// session, so everything a stage starts lives in that session or in a newer
// one, never in the daemon's. A plugin's leftovers are ended by the host
// itself (a child subreaper); when the host dies first they are re-parented
// to the daemon, which must be a child subreaper too, and ended here.
//
// A child of this process in another session than this process's, that is
// not a registered live stage host (or fork server), is taken to be such an
// escaped stage process. Other parts of the daemon must therefore not start
// children in a new session except through SpawnStageHost. (A fork
// server's children and their leftovers are the server's to end; they come
// here only if the server dies.)
//
// The registry of live hosts is process-wide (children are a property of
// the process), so that several runners in one process never end each
// other's hosts. Thread-safety: all functions are safe from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>

#include "mlops/common/status.h"

namespace mlops {

// prctl(PR_SET_CHILD_SUBREAPER): orphaned descendants become children of
// this process instead of PID 1, so they can be ended and reaped here.
// Call once at start-up, before any stage runs.
Status BecomeChildSubreaper();
bool IsChildSubreaper();

// Runs `spawn` (which starts one stage host in a new session and returns
// its pid, or -1) so that no sweep can observe the new child before it is
// registered, and registers the pid. Returns what `spawn` returned.
pid_t SpawnStageHost(const std::function<pid_t()>& spawn);

// Unregisters a host. REQUIRES: the host has been reaped (a registered
// zombie is what keeps a sweep from reaping it and stealing its status).
void ForgetStageHost(pid_t pid);

struct OrphanSweep {
  int killed = 0;     // SIGKILLs sent to live escaped processes
  int reaped = 0;     // escaped zombies reaped
  int remaining = 0;  // killed but not yet reaped when the sweep gave up
};

// SIGKILLs every escaped stage process (see above) and reaps the dead ones,
// retrying until none is left or `wait` has passed (zero: one pass, no wait).
// Never touches a registered host or a child of this process's own session,
// so it cannot steal an exit status another waiter depends on.
OrphanSweep SweepStageOrphans(std::chrono::milliseconds wait);

}  // namespace mlops
