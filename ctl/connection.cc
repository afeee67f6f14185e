#include "connection.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace mlops::ctl {
namespace {

std::string OpenSslReason() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

bool IsIpAddress(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

Connection::~Connection() {
  if (ssl_) {
    SSL_shutdown(static_cast<SSL*>(ssl_));
    SSL_free(static_cast<SSL*>(ssl_));
  }
  if (ctx_) SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
  if (fd_ >= 0) ::close(fd_);
}

Status Connection::Open(int fd, bool tls, const std::string& host, const std::string& ca_file,
                        std::unique_ptr<Connection>* out) {
  std::unique_ptr<Connection> c(new Connection(fd));
  if (!tls) {
    *out = std::move(c);
    return Status::OK();
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) return Status::Unavailable("TLS: " + OpenSslReason());
  c->ctx_ = ctx;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  const int loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                                     : SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr);
  if (loaded != 1) {
    return Status::InvalidArgument("TLS: cannot load the CA certificates " +
                                   (ca_file.empty() ? std::string("of the system") : ca_file) +
                                   ": " + OpenSslReason());
  }
  SSL* ssl = SSL_new(ctx);
  if (!ssl) return Status::Unavailable("TLS: " + OpenSslReason());
  c->ssl_ = ssl;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (IsIpAddress(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    SSL_set_tlsext_host_name(ssl, host.c_str());
  }
  SSL_set_fd(ssl, fd);
  if (SSL_connect(ssl) != 1) {
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
      return Status::Unavailable(std::string("TLS: the daemon's certificate was refused: ") +
                                 X509_verify_cert_error_string(verify) +
                                 " (set MLCTL_CACERT to the CA or certificate file that signed it)");
    }
    return Status::Unavailable("TLS handshake failed: " + OpenSslReason());
  }
  *out = std::move(c);
  return Status::OK();
}

ssize_t Connection::Write(const char* data, size_t n) {
  if (!ssl_) {
    ssize_t w;
    do w = ::send(fd_, data, n, MSG_NOSIGNAL); while (w < 0 && errno == EINTR);
    return w;
  }
  const int w = SSL_write(static_cast<SSL*>(ssl_), data, static_cast<int>(n));
  return w > 0 ? w : -1;
}

ssize_t Connection::Read(char* data, size_t n) {
  if (!ssl_) {
    ssize_t r;
    do r = ::recv(fd_, data, n, 0); while (r < 0 && errno == EINTR);
    return r;
  }
  const int r = SSL_read(static_cast<SSL*>(ssl_), data, static_cast<int>(n));
  if (r > 0) return r;
  const int err = SSL_get_error(static_cast<SSL*>(ssl_), r);
  return err == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

}  // namespace mlops::ctl
