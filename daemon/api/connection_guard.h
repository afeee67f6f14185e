// ConnectionGuard: keeps a thread-per-connection HTTP server answering when
// clients hold connections without sending requests (slowloris, idle
// keep-alive). Every accepted connection holds a worker (or waits for one);
// the guard tracks each connection's socket, client address and whether it
// is idle (waiting for a request header) or serving a request.
//
// When a connection gets a worker and either
//   - a client holds more than `per_client` connections, or
//   - more than `workers - reserve` connections are open,
// the guard closes idle connections, oldest first (of that client for the
// first rule, of anyone for the second), until the rule holds or nothing
// idle is left. A connection serving a request is never closed, nor one
// that appeared in the latest look at the sockets. Closing means shutting
// the socket down: the worker blocked reading it returns at once and the
// server closes it. docs/security.md ("Slow clients") has the settings.
//
// The server library tells neither a new connection's socket nor its
// address, so the guard looks at the process's sockets on the listening
// port (SocketSeam::List) and keys connections by (fd, address, port).
//
// Thread-safety: all methods may be called from any thread; one mutex. The
// server calls Closing() before it closes a socket, and Closing() waits for
// the mutex: a socket the guard re-checked under the mutex (SocketSeam::
// shut_down_if_idle) cannot be closed and its descriptor reused meanwhile.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace mlops::api {

struct ConnectionLimits {
  int workers = 128;     // the server's worker threads
  int reserve = 8;       // workers kept free for new connections
  int per_client = 96;   // open connections one client address may hold
};

// One accepted TCP connection of the server.
struct ClientSocket {
  int fd = -1;
  std::string address;  // the client's IPv4 address
  int port = 0;         // the client's port
  auto Key() const { return std::tie(fd, address, port); }
  bool operator<(const ClientSocket& o) const { return Key() < o.Key(); }
  bool operator==(const ClientSocket& o) const { return Key() == o.Key(); }
};

// The operating-system side, a fake in tests.
struct SocketSeam {
  // The server's open client connections now.
  std::function<std::vector<ClientSocket>()> list;
  // Shuts the socket down if `s.fd` is still that connection and no
  // complete request header waits on it unread (a client that sent its
  // request is about to be served, not idle); false if not.
  std::function<bool(const ClientSocket& s)> shut_down_if_idle;
};

class ConnectionGuard {
 public:
  ConnectionGuard(ConnectionLimits limits, SocketSeam seam);

  // A connection got a worker: look at the sockets, close what the limits
  // say. Returns how many connections were closed.
  int Opened();
  // The request header from `address`:`port` arrived / its answer was
  // written.
  void RequestStarted(const std::string& address, int port);
  void RequestEnded(const std::string& address, int port);
  // The server is about to close a connection (see thread-safety).
  void Closing();

  int open_connections() const;
  int64_t closed_by_guard() const;

 private:
  struct State {
    bool idle = true;
    bool newest = true;       // appeared in the latest look
    uint64_t idle_since = 0;  // sequence number: smaller is older
  };
  void Refresh();  // REQUIRES: mu_ held
  // Closes the oldest idle connection (of `address` when not empty).
  bool CloseOldestIdle(const std::string& address);  // REQUIRES: mu_ held
  std::map<ClientSocket, State>::iterator Find(const std::string& address, int port);

  const ConnectionLimits limits_;
  const SocketSeam seam_;
  mutable std::mutex mu_;
  std::map<ClientSocket, State> open_;  // guarded by mu_
  // Shut down by the guard and not closed yet by the server: not counted.
  std::set<ClientSocket> shut_;          // guarded by mu_
  uint64_t sequence_ = 0;               // guarded by mu_
  int64_t closed_by_guard_ = 0;         // guarded by mu_
};

}  // namespace mlops::api
