// Starting one stage host (`mlops-stage`) for one attempt: the spec it
// reads, the process in its own session and process group, and the
// descriptors the runner watches. Protocol: plugins/host/stage_protocol.h.
// Thread-safety: free functions; the HostProcess belongs to one thread.
#pragma once

#include <sys/types.h>

#include <string>

#include "mlops/common/status.h"
#include "process/stage_runner.h"

namespace mlops {

struct HostProcess {
  pid_t pid = -1;      // also the id of its process group and session
  int pidfd = -1;      // readable once the host has exited; it is then a zombie
  int events_fd = -1;  // read end of the event pipe, O_NONBLOCK
  int log_fd = -1;     // the stage log, O_APPEND, for the runner's own notes
};

// The spec's JSON text for `spec`.
std::string StageSpecJson(const AttemptSpec& spec);

// Creates the log and scratch folders if missing, then posix_spawns
// `host_path --plugin P --spec-fd 4` in a new session with stdin /dev/null,
// stdout+stderr appended to the log, fd 3 the event pipe, fd 4 a sealed
// memfd holding the spec (never on disk: env may hold secrets), default
// signal handling and the caller's environment.
// The host is registered with SpawnStageHost; once it is reaped the caller
// must ForgetStageHost(out->pid). On success *out holds the process and its
// descriptors (all O_CLOEXEC); on failure nothing is left running and the
// Status says what failed.
Status StartStageHost(const std::string& host_path, const AttemptSpec& spec, HostProcess* out);

// Closes the descriptors that are still open and marks them closed.
void CloseHostFds(HostProcess* host);

}  // namespace mlops
