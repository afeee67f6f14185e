// The ConnectionGuard's view of the process's sockets (connection_guard.h):
// CivetWeb tells neither a new connection's socket nor its address, so the
// client connections are found among the process's descriptors, as the TCP
// sockets on the listening port that have a peer (/proc/self/fd,
// getsockname, getpeername), and one is shut down only after checking that
// its descriptor still holds that connection and that no complete request
// header waits on it (MSG_PEEK; over TLS the bytes are records, so a TLS
// connection always counts as idle).
// Thread-safety: the seam's functions may run on any thread.
#pragma once

#include <atomic>

#include "api/connection_guard.h"

namespace mlops::api {

// `port` is the listening port, 0 until known (then nothing is listed).
// It must outlive the seam.
SocketSeam ProcessSocketSeam(const std::atomic<int>* port);

}  // namespace mlops::api
