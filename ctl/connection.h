// Connection: mlctl's byte stream to the daemon, over plain TCP or TLS
// (OpenSSL, TLS 1.2 or later, the peer's certificate and name verified).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "mlops/common/status.h"

namespace mlops::ctl {

class Connection {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Takes ownership of the connected socket `fd`. With `tls`, runs the
  // handshake and checks the certificate against `ca_file` (a PEM bundle;
  // empty: the system's trusted roots) and against `host` (a name or an IP
  // address). Unavailable on failure, with OpenSSL's reason.
  static Status Open(int fd, bool tls, const std::string& host, const std::string& ca_file,
                     std::unique_ptr<Connection>* out);

  // Like send()/recv(): bytes moved, 0 at the end of the stream, -1 on error.
  ssize_t Write(const char* data, size_t n);
  ssize_t Read(char* data, size_t n);

 private:
  explicit Connection(int fd) : fd_(fd) {}
  int fd_;
  void* ctx_ = nullptr;  // SSL_CTX*
  void* ssl_ = nullptr;  // SSL*
};

}  // namespace mlops::ctl
