// HttpServer: the daemon's HTTP listener (CivetWeb). Every response goes out
// in one write (headers and body together) so Nagle never delays it.
//
// Shutdown drains: Drain() makes new requests answer 503 and waits for the
// requests in flight to finish, before Stop() closes the listener (CivetWeb's
// mg_stop would otherwise cut in-flight responses).
// Thread-safety: Start/Drain/Stop from one thread; handlers run on CivetWeb's
// worker threads, whose stacks are small (fixed when Debian built the
// library; 64 KiB on the stack overflowed one): handlers keep large buffers
// on the heap.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <cstdint>
#include <memory>
#include <string>

#include "api/http.h"
#include "mlops/common/status.h"

struct mg_context;
struct mg_connection;

namespace mlops::api {

struct HttpServerOptions {
  std::string listen = "127.0.0.1:8765";  // "HOST:PORT"; port 0 picks a free one
  int threads = 8;
  size_t max_body_bytes = 16 << 20;
  // A PEM file holding the private key and the certificate (chain): when
  // set, the listener speaks only HTTPS (TLS 1.2 or later).
  std::string tls_pem;
};

// Called after each request with its route pattern, status and seconds taken.
using RequestObserver = std::function<void(const std::string& method, const std::string& route,
                                           int status, double seconds)>;

// Decides whether a request reaches the router (auth.h's Authorizer): true
// to dispatch, false to answer *deny instead.
using RequestGate = std::function<bool(HttpRequest* req, HttpResponse* deny)>;

class HttpServer {
 public:
  HttpServer(const Router* router, HttpServerOptions options);
  ~HttpServer();

  // Binds and starts serving. On success BoundAddress() is "HOST:PORT".
  Status Start();
  std::string BoundAddress() const { return bound_; }
  // "http://HOST:PORT" or "https://HOST:PORT".
  std::string BoundUrl() const { return (options_.tls_pem.empty() ? "http://" : "https://") + bound_; }
  void SetObserver(RequestObserver obs) { observer_ = std::move(obs); }
  // Set before Start. Default deny: without a gate every request gets 403.
  void SetGate(RequestGate gate) { gate_ = std::move(gate); }
  // New requests get 503; returns once in-flight ones finished or timeout.
  void Drain(std::chrono::milliseconds timeout);
  void Stop();

 private:
  static int Handle(mg_connection* conn, void* self);
  int Serve(mg_connection* conn);

  const Router* router_;
  HttpServerOptions options_;
  mg_context* ctx_ = nullptr;
  std::string bound_;
  std::atomic<bool> draining_{false};
  std::atomic<int> in_flight_{0};
  RequestObserver observer_;
  RequestGate gate_;
};

}  // namespace mlops::api
