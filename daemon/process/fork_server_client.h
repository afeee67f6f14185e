// The runner's side of a fork server (`mlops-stage --serve PLUGIN.so`,
// plugins/host/fork_server.h; protocol in fork_server_protocol.h): starting
// one, asking it to start an attempt, reading its replies, stopping it.
// The runner (process_stage_runner.cc) keeps one per plugin file and owns
// the bookkeeping; these are the system calls.
// Thread-safety: free functions; a ForkServerProcess belongs to one thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "mlops/common/status.h"
#include "process/stage_runner.h"

namespace mlops {

namespace stage_protocol {
struct ServeReply;  // fork_server_protocol.h
}  // namespace stage_protocol

// What a file was when a server loaded it; a server whose plugin file has
// changed since (rebuilt, replaced) gets no new attempts.
struct FileIdentity {
  uint64_t dev = 0, ino = 0;
  int64_t size = -1, mtime_ns = 0, ctime_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

// All zero but size -1 when `path` cannot be stat()ed.
FileIdentity IdentifyFile(const std::string& path);

struct ForkServerProcess {
  pid_t pid = -1;  // a child of this process, in a session of its own
  int pidfd = -1;  // readable once it has exited
  int sock = -1;   // SOCK_SEQPACKET, O_NONBLOCK, close-on-exec
};

// posix_spawns `host_path --serve plugin_path --parent <this pid>` in a new
// session with its socket on fd 3, stdin and stdout /dev/null, stderr this
// process's, registered with SpawnStageHost (ForgetStageHost once reaped).
Status SpawnForkServer(const std::string& host_path, const std::string& plugin_path,
                       ForkServerProcess* out);

using OnServeReply = std::function<void(const stage_protocol::ServeReply& reply, int pidfd)>;

// Sends the start request for `spec` with the attempt's three descriptors
// (OpenAttemptIo). While the socket is full it waits, at most a few
// seconds, handing the replies that arrive meanwhile to `on_reply`. An
// error means the server did not get the request (it is gone or stuck).
Status SendStartRequest(const ForkServerProcess& server, const AttemptSpec& spec, int output_fd,
                        int event_write_fd, int spec_fd, const OnServeReply& on_reply);

// Reads one reply without waiting: 1 when one was read (*pidfd is the
// descriptor it carried, or -1), 0 when none is there, -1 at end of file.
int ReceiveReply(const ForkServerProcess& server, stage_protocol::ServeReply* reply, int* pidfd);

// Closes the socket (so that an idle server exits), waits at most `wait`
// for the server to exit, SIGKILLs it if it has not, reaps and unregisters
// it, and closes its pidfd. Returns its wait status.
int StopForkServer(ForkServerProcess* server, std::chrono::milliseconds wait);

// "exited with code 1", "was killed by signal 9 (SIGKILL)".
std::string DescribeServerExit(int wait_status);

}  // namespace mlops
