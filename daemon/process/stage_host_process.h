// Starting one stage host (`mlops-stage`) for one attempt: the spec it
// reads, the process in its own session and process group, and the
// descriptors the runner watches. Protocol: plugins/host/stage_protocol.h.
// (A fork server's child gets the same descriptors: fork_server_client.h.)
// Thread-safety: free functions; the HostProcess belongs to one thread.
#pragma once

#include <spawn.h>

#include <sys/types.h>

#include <string>

#include "mlops/common/status.h"
#include "process/log_file_pool.h"
#include "process/stage_runner.h"

namespace mlops {

struct HostProcess {
  pid_t pid = -1;      // also the id of its process group and session
  int pidfd = -1;      // readable once the host has exited (a zombie, if our child)
  int events_fd = -1;  // read end of the event pipe, O_NONBLOCK
  int log_fd = -1;     // the stage log, O_APPEND: the stage's output and the runner's notes
  int output_fd = -1;  // read end of the output pipe (stdout+stderr), O_NONBLOCK
};

// The spec's JSON text for `spec`.
std::string StageSpecJson(const AttemptSpec& spec);

// The write ends an attempt's host gets; the caller closes them once the
// host has them.
struct AttemptIoEnds {
  int event = -1;   // fd 3 of the host
  int output = -1;  // its stdout and stderr
  int spec = -1;    // fd 4: the sealed spec memfd
  void Close();
};

// What every attempt's host gets, however it is started: creates the log
// folder if missing, opens the log (O_APPEND; through `logs`, which moves a
// spare file into place when it has one) into host->log_fd, creates the
// event pipe and the output pipe (read ends, O_NONBLOCK, in host->events_fd
// and host->output_fd; write ends in *ends) and a sealed memfd holding the
// spec (ends->spec). All descriptors are close-on-exec and >= 10. On
// failure nothing is left open.
Status OpenAttemptIo(const AttemptSpec& spec, LogFilePool* logs, HostProcess* host,
                     AttemptIoEnds* ends);

// OpenAttemptIo, then posix_spawns `host_path --plugin P --spec-fd 4
// --parent <this pid>` in a new session with stdin /dev/null, stdout+stderr
// the output pipe (the runner copies it into the log: stage_output.h), fd 3 the event pipe, fd 4 the spec memfd (never on
// disk: env may hold secrets), default signal handling and the caller's
// environment.
// The host is registered with SpawnStageHost; once it is reaped the caller
// must ForgetStageHost(out->pid). On success *out holds the process and its
// descriptors (all O_CLOEXEC); on failure nothing is left running and the
// Status says what failed.
// Spawn attributes every stage process starts with (a stage host or a fork
// server): a new session (so its own process group), no blocked signals,
// and default dispositions for the signals the daemon handles or ignores.
// REQUIRES: `attr` was initialised with posix_spawnattr_init.
void SetStageSpawnAttributes(posix_spawnattr_t* attr);

Status StartStageHost(const std::string& host_path, const AttemptSpec& spec, LogFilePool* logs,
                      HostProcess* out);

// Closes the descriptors that are still open and marks them closed.
void CloseHostFds(HostProcess* host);

}  // namespace mlops
