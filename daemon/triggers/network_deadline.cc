#include "triggers/network_deadline.h"

#include <fcntl.h>
#include <git2.h>
#include <git2/sys/stream.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

// libgit2's ssh transport takes the socket out of the stream by casting it
// to its internal git_socket_stream { git_stream parent; char *host;
// char *port; int s; } (streams/socket.h). DeadlineSocket repeats that
// layout so ssh keeps working; it was checked for 1.5 (the ssh test in
// tests/triggers/git proves libssh2 talks on our socket). Re-check it before
// building against another libgit2.
static_assert(LIBGIT2_VER_MAJOR == 1 && LIBGIT2_VER_MINOR == 5,
              "re-check DeadlineSocket's layout against this libgit2's git_socket_stream");

namespace mlops::triggers::internal {
namespace {

thread_local NetworkDeadline* t_current = nullptr;

struct DeadlineSocket {
  git_stream parent;  // must stay first
  char* host;
  char* port;
  int s;  // the socket; -1 when closed
  NetworkDeadline* deadline;
};

void SetNetError(const std::string& msg) { git_error_set_str(GIT_ERROR_NET, msg.c_str()); }

std::string Where(const DeadlineSocket* d) {
  return std::string(d->host) + ":" + d->port;
}

// Milliseconds to the deadline for poll(); -1 (no limit) without one.
int PollTimeout(const NetworkDeadline* deadline) {
  if (deadline == nullptr) return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline->deadline() - std::chrono::steady_clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), INT32_MAX));
}

void CloseSocket(DeadlineSocket* d) {
  if (d->s < 0) return;
  if (d->deadline != nullptr) d->deadline->Unregister(d->s);
  ::close(d->s);
  d->s = -1;
}

// Connects one address; returns the socket or -1 with *err set.
int ConnectOne(DeadlineSocket* d, const addrinfo* ai, std::string* err) {
  int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    ai->ai_protocol);
  if (fd < 0) {
    *err = std::strerror(errno);
    return -1;
  }
  if (d->deadline != nullptr && !d->deadline->Register(fd)) {
    ::close(fd);
    *err = "timed out";
    return -1;
  }
  auto fail = [&](const std::string& why) {
    if (d->deadline != nullptr) d->deadline->Unregister(fd);
    ::close(fd);
    *err = why;
    return -1;
  };
  if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) return fail(std::strerror(errno));
    pollfd p{fd, POLLOUT, 0};
    int rc;
    do {
      rc = ::poll(&p, 1, PollTimeout(d->deadline));
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) return fail("timed out");
    if (rc < 0) return fail(std::strerror(errno));
    int so_error = 0;
    socklen_t len = sizeof so_error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0) return fail(std::strerror(so_error));
  }
  // Blocking from here on, as libgit2 expects; the watchdog bounds it.
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

int Connect(git_stream* stream) {
  auto* d = reinterpret_cast<DeadlineSocket*>(stream);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  // Name resolution is not bounded by the deadline; the resolver's own
  // timeouts apply.
  int rc = ::getaddrinfo(d->host, d->port, &hints, &res);
  if (rc != 0) {
    SetNetError("failed to resolve address for " + std::string(d->host) + ": " +
                ::gai_strerror(rc));
    return -1;
  }
  std::string err = "no address";
  for (const addrinfo* ai = res; ai != nullptr && d->s < 0; ai = ai->ai_next) {
    d->s = ConnectOne(d, ai, &err);
  }
  ::freeaddrinfo(res);
  if (d->s < 0) {
    SetNetError("failed to connect to " + Where(d) + ": " + err);
    return -1;
  }
  return 0;
}

ssize_t Read(git_stream* stream, void* data, size_t len) {
  auto* d = reinterpret_cast<DeadlineSocket*>(stream);
  ssize_t n;
  do {
    n = ::recv(d->s, data, len, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) SetNetError("could not read from " + Where(d) + ": " + std::strerror(errno));
  if (n == 0 && d->deadline != nullptr && d->deadline->expired()) {
    SetNetError("timed out reading from " + Where(d));
    return -1;
  }
  return n;
}

ssize_t Write(git_stream* stream, const char* data, size_t len, int flags) {
  auto* d = reinterpret_cast<DeadlineSocket*>(stream);
  ssize_t n;
  do {
    n = ::send(d->s, data, len, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) SetNetError("could not write to " + Where(d) + ": " + std::strerror(errno));
  return n;
}

int Close(git_stream* stream) {
  CloseSocket(reinterpret_cast<DeadlineSocket*>(stream));
  return 0;
}

void Free(git_stream* stream) {
  auto* d = reinterpret_cast<DeadlineSocket*>(stream);
  CloseSocket(d);
  std::free(d->host);
  std::free(d->port);
  delete d;
}

int Init(git_stream** out, const char* host, const char* port) {
  auto* d = new DeadlineSocket{};
  d->parent.version = GIT_STREAM_VERSION;
  d->parent.connect = Connect;
  d->parent.read = Read;
  d->parent.write = Write;
  d->parent.close = Close;
  d->parent.free = Free;
  d->host = ::strdup(host);
  d->port = ::strdup(port);
  d->s = -1;
  d->deadline = NetworkDeadline::Current();
  *out = &d->parent;
  return 0;
}

}  // namespace

NetworkDeadline::NetworkDeadline(TimePoint deadline)
    : deadline_(deadline), previous_(t_current), watchdog_([this] { Watch(); }) {
  t_current = this;
}

NetworkDeadline::~NetworkDeadline() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  watchdog_.join();
  t_current = previous_;
}

NetworkDeadline* NetworkDeadline::Current() { return t_current; }

bool NetworkDeadline::expired() {
  std::lock_guard lock(mu_);
  return expired_;
}

bool NetworkDeadline::Register(int fd) {
  std::lock_guard lock(mu_);
  if (expired_) return false;
  fds_.insert(fd);
  return true;
}

void NetworkDeadline::Unregister(int fd) {
  std::lock_guard lock(mu_);
  fds_.erase(fd);
}

void NetworkDeadline::Watch() {
  std::unique_lock lock(mu_);
  if (cv_.wait_until(lock, deadline_, [this] { return stop_; })) return;
  expired_ = true;
  // Sockets leave fds_ under mu_ before they are closed, so none of these
  // numbers can have been reused for another file.
  for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
}

Status InstallDeadlineSocketStream() {
  git_stream_registration reg{};
  reg.version = GIT_STREAM_VERSION;
  reg.init = Init;
  if (git_stream_register(GIT_STREAM_STANDARD, &reg) != 0) {
    const git_error* e = git_error_last();
    return Status::IOError(std::string("cannot register the libgit2 socket stream: ") +
                           (e ? e->message : "unknown error"));
  }
  return Status::OK();
}

}  // namespace mlops::triggers::internal
