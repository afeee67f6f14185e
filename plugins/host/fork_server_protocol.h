// The wire protocol between the daemon's ProcessStageRunner and a stage
// host started as a fork server:
//
//   mlops-stage --serve PLUGIN.so --parent PID
//
// The runner starts one per plugin file, in a session of its own, with a
// SOCK_SEQPACKET unix socket on fd kServeSocketFd. The server loads the
// plugin once, then for each StartRequest fork()s a child that runs one
// attempt exactly as `mlops-stage --plugin` would, and answers:
//
//   runner -> server  StartRequest + SCM_RIGHTS {log fd, event pipe fd,
//                     spec memfd}  (the attempt's stdout/stderr, fd 3, spec)
//   server -> runner  Started{attempt_id, pid} + SCM_RIGHTS {pidfd}, in the
//                     order of the requests; pid -1 and `error` (an errno)
//                     when fork failed.
//   server -> runner  Exited{attempt_id, pid, wait_status} once the child
//                     has exited: by then the server has killed the rest of
//                     the child's process group and every process that
//                     escaped it (the server is a child subreaper), and
//                     reaped the child.
//
// End of file on the socket, or SIGTERM (the server asks for it as its
// parent-death signal, PID being the runner's process), means the daemon is
// gone or done: the server then ends every attempt still running as the
// daemon's death would (parent_watch.h: cancel, SIGTERM to its group, its
// kill grace, SIGKILL), reaps everything and exits. An idle server simply
// exits.
#pragma once

#include <cstdint>

namespace mlops::stage_protocol {

inline constexpr char kServeFlag[] = "--serve";
inline constexpr char kParentFlag[] = "--parent";
inline constexpr int kServeSocketFd = 3;

inline constexpr uint32_t kStartRequest = 1;
inline constexpr uint32_t kStartedReply = 2;
inline constexpr uint32_t kExitedReply = 3;

// The descriptors sent with a StartRequest, in this order.
inline constexpr int kRequestLogFd = 0;  // the child's stdout and stderr (the output pipe)
inline constexpr int kRequestEventFd = 1;
inline constexpr int kRequestSpecFd = 2;
inline constexpr int kRequestFdCount = 3;

struct ServeRequest {
  uint32_t type = kStartRequest;
  uint32_t kill_grace_ms = 0;  // used if the server must end the attempt itself
  int64_t attempt_id = 0;
};

struct ServeReply {
  uint32_t type = 0;       // kStartedReply or kExitedReply
  int32_t pid = -1;        // the attempt's process; also its group and session
  int32_t error = 0;       // Started: errno of a failed fork, else 0
  int32_t wait_status = 0; // Exited: as from waitpid
  int64_t attempt_id = 0;
};

}  // namespace mlops::stage_protocol
