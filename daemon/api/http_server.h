// HttpServer: the daemon's HTTP listener (CivetWeb). Every response goes out
// in one write (headers and body together) so Nagle never delays it.
//
// Connections: CivetWeb gives each open connection a worker thread. The
// whole request header must arrive within `request_timeout`, an idle
// keep-alive connection is closed after `keep_alive_timeout`, and a
// ConnectionGuard closes idle connections when one client holds too many or
// the pool runs short, so that clients holding connections without
// requests cannot starve the others (docs/security.md, "Slow clients").
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

#include "api/connection_guard.h"
#include "api/http.h"
#include "mlops/common/status.h"

struct mg_context;
struct mg_connection;

namespace mlops::api {

struct HttpServerOptions {
  std::string listen = "127.0.0.1:8765";  // "HOST:PORT"; port 0 picks a free one
  int threads = 128;
  std::chrono::milliseconds request_timeout{5000};     // the request header, from accept
  std::chrono::milliseconds keep_alive_timeout{5000};  // idle wait for the next request
  int connections_per_client = 96;
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

// Sees every response before it is written, the server's own refusals
// (400 path, 413 body, 503 draining, 404/405 of the router) included, so a
// server speaking another protocol's error shape can rewrite them.
using ResponseFilter = std::function<void(const HttpRequest& req, HttpResponse* resp)>;

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
  // Set before Start; none by default.
  void SetResponseFilter(ResponseFilter filter) { filter_ = std::move(filter); }
  // New requests get 503; returns once in-flight ones finished or timeout.
  void Drain(std::chrono::milliseconds timeout);
  void Stop();

 private:
  static int Handle(mg_connection* conn, void* self);
  static int ConnectionOpened(const mg_connection* conn, void** conn_data);
  static void ConnectionClosing(const mg_connection* conn);
  int Serve(mg_connection* conn);

  const Router* router_;
  HttpServerOptions options_;
  mg_context* ctx_ = nullptr;
  std::string bound_;
  std::atomic<bool> draining_{false};
  std::atomic<int> in_flight_{0};
  RequestObserver observer_;
  RequestGate gate_;
  ResponseFilter filter_;
  std::atomic<int> port_{0};  // the bound port, once known
  std::unique_ptr<ConnectionGuard> guard_;
};

}  // namespace mlops::api
