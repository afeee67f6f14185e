#include "api/client_sockets.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <string_view>
#include <vector>

namespace mlops::api {
namespace {

// True when `fd` is a TCP socket on local port `port` with a peer; fills *s.
bool DescribeClientSocket(int fd, int port, ClientSocket* s) {
  sockaddr_in local{}, peer{};
  socklen_t local_len = sizeof(local), peer_len = sizeof(peer);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0 ||
      local.sin_family != AF_INET || ntohs(local.sin_port) != port ||
      ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0 ||
      peer.sin_family != AF_INET) {
    return false;
  }
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &peer.sin_addr, text, sizeof(text));
  s->fd = fd;
  s->address = text;
  s->port = ntohs(peer.sin_port);
  return true;
}

// True when a complete request header waits unread on `fd` (plain HTTP;
// over TLS the bytes are records and this says false).
bool HeaderWaits(int fd) {
  std::vector<char> buf(16384);  // worker threads have small stacks
  const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_PEEK | MSG_DONTWAIT);
  return n > 0 && std::string_view(buf.data(), static_cast<size_t>(n)).find("\r\n\r\n") !=
                      std::string_view::npos;
}

// The process's TCP sockets whose local port is `port` and that have a
// peer: the server's client connections (the listening socket has none).
std::vector<ClientSocket> ListClientSockets(int port) {
  std::vector<ClientSocket> out;
  if (port <= 0) return out;
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return out;
  while (dirent* e = ::readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd == ::dirfd(dir)) continue;
    ClientSocket s;
    if (DescribeClientSocket(static_cast<int>(fd), port, &s)) out.push_back(std::move(s));
  }
  ::closedir(dir);
  return out;
}

}  // namespace

SocketSeam ProcessSocketSeam(const std::atomic<int>* port) {
  SocketSeam seam;
  seam.list = [port] { return ListClientSockets(port->load()); };
  seam.shut_down_if_idle = [port](const ClientSocket& s) {
    ClientSocket now;
    if (!DescribeClientSocket(s.fd, port->load(), &now) || !(now == s) || HeaderWaits(s.fd)) {
      return false;
    }
    return ::shutdown(s.fd, SHUT_RDWR) == 0;
  };
  return seam;
}

}  // namespace mlops::api
