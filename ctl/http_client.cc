#include "http_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "connection.h"

namespace mlops::ctl {
namespace {

Status ParseServer(const std::string& server, std::string* host, std::string* port, bool* tls) {
  std::string s = server;
  *tls = false;
  if (s.rfind("http://", 0) == 0) {
    s = s.substr(7);
  } else if (s.rfind("https://", 0) == 0) {
    s = s.substr(8);
    *tls = true;
  }
  while (!s.empty() && s.back() == '/') s.pop_back();
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) {
    return Status::InvalidArgument("server '" + server + "' must look like http://HOST:PORT or https://HOST:PORT");
  }
  *host = s.substr(0, colon);
  *port = s.substr(colon + 1);
  if (!std::all_of(port->begin(), port->end(), ::isdigit)) {
    return Status::InvalidArgument("server '" + server + "': port must be a number");
  }
  return Status::OK();
}

int ConnectWithTimeout(const std::string& host, const std::string& port, int timeout_ms,
                       std::string* err) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    *err = "cannot resolve " + host + ": " + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, timeout_ms) == 1) {
        int so = 0;
        socklen_t len = sizeof so;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &len);
        if (so == 0) break;
        *err = std::strerror(so);
      } else {
        *err = "connection timed out";
      }
    } else {
      *err = std::strerror(errno);
    }
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd >= 0) {
    int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

}  // namespace

std::string UrlEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Status HttpCall(const std::string& server, const std::string& method, const std::string& path,
                const std::string& body, HttpResult* out, std::chrono::milliseconds timeout,
                const std::string& bearer_token) {
  std::string host, port;
  bool tls = false;
  MLOPS_RETURN_IF_ERROR(ParseServer(server, &host, &port, &tls));
  for (unsigned char c : bearer_token) {
    if (c <= 0x20 || c == 0x7F) {
      return Status::InvalidArgument("the API token (MLCTL_TOKEN) holds a space or control character");
    }
  }
  std::string err;
  int fd = ConnectWithTimeout(host, port, static_cast<int>(timeout.count()), &err);
  if (fd < 0) return Status::Unavailable("cannot reach mlopsd at " + server + ": " + err);
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const char* ca = std::getenv("MLCTL_CACERT");
  std::unique_ptr<Connection> conn;
  MLOPS_RETURN_IF_ERROR(Connection::Open(fd, tls, host, ca ? ca : "", &conn));
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: " + host + ":" + port +
                    "\r\nConnection: close\r\nUser-Agent: mlctl\r\nAccept: application/json\r\n";
  if (!bearer_token.empty()) req += "Authorization: Bearer " + bearer_token + "\r\n";
  if (!body.empty() || method == "POST") {
    req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  size_t sent = 0;
  while (sent < req.size()) {
    ssize_t n = conn->Write(req.data() + sent, req.size() - sent);
    if (n <= 0) {
      return Status::Unavailable("cannot send to mlopsd at " + server + ": " + std::strerror(errno));
    }
    sent += static_cast<size_t>(n);
  }
  std::string resp;
  char buf[65536];
  size_t want = std::string::npos;  // total bytes expected once headers are known
  for (;;) {
    ssize_t n = conn->Read(buf, sizeof buf);
    if (n < 0) {
      return Status::Unavailable("no answer from mlopsd at " + server + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    resp.append(buf, static_cast<size_t>(n));
    if (want == std::string::npos) {
      size_t hdr_end = resp.find("\r\n\r\n");
      if (hdr_end != std::string::npos) {
        std::string lower = resp.substr(0, hdr_end);
        std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
        size_t cl = lower.find("\r\ncontent-length:");
        if (cl != std::string::npos) want = hdr_end + 4 + std::stoull(lower.substr(cl + 17));
      }
    }
    if (want != std::string::npos && resp.size() >= want) break;
  }
  conn.reset();
  size_t hdr_end = resp.find("\r\n\r\n");
  if (resp.rfind("HTTP/1.", 0) != 0 || hdr_end == std::string::npos) {
    return Status::Unavailable("malformed answer from " + server);
  }
  out->status = std::atoi(resp.c_str() + resp.find(' ') + 1);
  out->headers.clear();
  size_t pos = resp.find("\r\n") + 2;
  while (pos < hdr_end) {
    size_t eol = resp.find("\r\n", pos);
    std::string line = resp.substr(pos, eol - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string k = line.substr(0, colon);
      std::transform(k.begin(), k.end(), k.begin(), ::tolower);
      size_t v = line.find_first_not_of(' ', colon + 1);
      out->headers[k] = v == std::string::npos ? "" : line.substr(v);
    }
    pos = eol + 2;
  }
  out->body = resp.substr(hdr_end + 4);
  return Status::OK();
}

}  // namespace mlops::ctl
