// One message and a few descriptors over a SOCK_SEQPACKET unix socket
// (SCM_RIGHTS): the fork server's requests and replies. Shared by the stage
// host and the daemon.
// Thread-safety: free functions; one socket is used by one thread.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace mlops::fdpass {

inline constexpr size_t kMaxFds = 4;

// Sends `size` bytes and `fd_count` (<= kMaxFds) descriptors as one message,
// retrying EINTR; never raises SIGPIPE. `flags` is added to sendmsg's (e.g.
// MSG_DONTWAIT). Returns true when sent; otherwise errno says why.
bool Send(int sock, const void* data, size_t size, const int* fds, size_t fd_count, int flags);

// Receives one message into `data` (at most `size` bytes) and up to
// kMaxFds descriptors (close-on-exec) into `fds`, retrying EINTR. Returns
// the message's length, 0 at end of file, -1 on error (errno; EAGAIN when
// MSG_DONTWAIT found nothing). A message of another length, or one whose
// descriptors did not all fit, is still returned: the caller checks
// *fd_count and the length, and closes what it received.
ssize_t Receive(int sock, void* data, size_t size, int* fds, size_t* fd_count, int flags);

// Closes fds[0..count).
void CloseAll(const int* fds, size_t count);

}  // namespace mlops::fdpass
