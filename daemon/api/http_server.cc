#include "api/http_server.h"

#include <civetweb.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "api/client_sockets.h"

namespace mlops::api {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

void WriteResponse(mg_connection* conn, const HttpResponse& r, bool head) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + StatusText(r.status) + "\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  // API answers are never stored; a handler that sets its own
  // Cache-Control (the dashboard's static files) keeps it.
  const bool own_cache = std::any_of(r.headers.begin(), r.headers.end(),
                                     [](const auto& h) { return Lower(h.first) == "cache-control"; });
  if (!own_cache) out += "Cache-Control: no-store\r\n";
  out += "X-Content-Type-Options: nosniff\r\n";
  for (const auto& [k, v] : r.headers) out += k + ": " + v + "\r\n";
  out += "\r\n";
  if (!head) out += r.body;
  mg_write(conn, out.data(), out.size());
}

}  // namespace

HttpServer::HttpServer(const Router* router, HttpServerOptions options)
    : router_(router), options_(std::move(options)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  static const bool init = [] {
    mg_init_library(0);
    return true;
  }();
  (void)init;
  const bool tls = !options_.tls_pem.empty();
  if (tls) {
    // Asking again is how CivetWeb initialises TLS after a plain start; the
    // answer says whether it works. Never open an HTTPS port when it does
    // not: the first TLS client would crash the process (see daemon/tls).
    if ((mg_init_library(MG_FEATURES_TLS) & MG_FEATURES_TLS) == 0) {
      return Status::Unavailable(
          "TLS is configured but CivetWeb could not initialise OpenSSL (is the libssl.so shim "
          "of daemon/tls next to mlopsd, in lib/mlopsd/tls-shim?)");
    }
  }
  ConnectionLimits limits;
  limits.workers = options_.threads;
  limits.reserve = std::max(1, options_.threads / 16);
  limits.per_client = options_.connections_per_client;
  guard_ = std::make_unique<ConnectionGuard>(limits, ProcessSocketSeam(&port_));
  const std::string threads = std::to_string(options_.threads);
  const std::string request_ms = std::to_string(options_.request_timeout.count());
  const std::string keep_alive_ms = std::to_string(options_.keep_alive_timeout.count());
  const std::string listening = options_.listen + (tls ? "s" : "");
  std::vector<const char*> opts = {"listening_ports", listening.c_str(),
                                   "num_threads", threads.c_str(),
                                   "tcp_nodelay", "1",
                                   "request_timeout_ms", request_ms.c_str(),
                                   "keep_alive_timeout_ms", keep_alive_ms.c_str(),
                                   "listen_backlog", "1024",
                                   "enable_keep_alive", "yes",
                                   "decode_url", "no"};
  if (tls) {
    opts.insert(opts.end(), {"ssl_certificate", options_.tls_pem.c_str(),
                             "ssl_protocol_version", "4"});  // TLS 1.2 and later
  }
  opts.push_back(nullptr);
  mg_callbacks callbacks{};
  callbacks.init_connection = &HttpServer::ConnectionOpened;
  callbacks.connection_close = &HttpServer::ConnectionClosing;
  ctx_ = mg_start(&callbacks, this, opts.data());
  if (!ctx_) return Status::IOError("cannot listen on " + options_.listen +
                                    " (address in use or not valid as HOST:PORT)");
  mg_set_request_handler(ctx_, "/", &HttpServer::Handle, this);
  mg_server_port ports[4];
  int n = mg_get_server_ports(ctx_, 4, ports);
  if (n < 1) return Status::IOError("listener started but reports no port");
  std::string host = options_.listen.substr(0, options_.listen.rfind(':'));
  if (host.empty()) host = "0.0.0.0";
  bound_ = host + ":" + std::to_string(ports[0].port);
  port_.store(ports[0].port);
  return Status::OK();
}

int HttpServer::Handle(mg_connection* conn, void* self) {
  return static_cast<HttpServer*>(self)->Serve(conn);
}

int HttpServer::ConnectionOpened(const mg_connection* conn, void** conn_data) {
  *conn_data = nullptr;
  auto* self = static_cast<HttpServer*>(mg_get_user_data(mg_get_context(conn)));
  if (self) self->guard_->Opened();
  return 0;
}

void HttpServer::ConnectionClosing(const mg_connection* conn) {
  auto* self = static_cast<HttpServer*>(mg_get_user_data(mg_get_context(conn)));
  if (self) self->guard_->Closing();
}

int HttpServer::Serve(mg_connection* conn) {
  const auto start = std::chrono::steady_clock::now();
  in_flight_.fetch_add(1);
  const mg_request_info* ri = mg_get_request_info(conn);
  guard_->RequestStarted(ri->remote_addr, ri->remote_port);
  HttpRequest req;
  req.method = ri->request_method ? ri->request_method : "";
  // CivetWeb leaves the path as sent (decode_url: no): decoded here, so that
  // a "%00" is seen rather than cutting the path short.
  req.path = UrlDecode(ri->local_uri_raw ? ri->local_uri_raw : "/", false);
  if (ri->query_string) req.query = ParseQuery(ri->query_string);
  for (int i = 0; i < ri->num_headers; ++i) {
    req.headers[Lower(ri->http_headers[i].name)] = ri->http_headers[i].value;
  }
  req.remote_addr = ri->remote_addr;
  // Checked before any route sees it: CivetWeb's own clean-up (local_uri)
  // would fold dot segments and backslashes away.
  const std::string path_problem = NonCanonicalPathReason(req.path);
  HttpResponse resp;
  if (!path_problem.empty()) {
    resp = HttpResponse::Problem(400, path_problem, "");
  } else if (draining_.load()) {
    resp = HttpResponse::Problem(503, "the daemon is shutting down", req.path);
  } else if (ri->content_length > static_cast<long long>(options_.max_body_bytes)) {
    resp = HttpResponse::Problem(413, "request body larger than " +
                                          std::to_string(options_.max_body_bytes) + " bytes",
                                 req.path);
  } else {
    std::vector<char> buf(16384);  // worker threads have small stacks
    int n;
    while ((n = mg_read(conn, buf.data(), buf.size())) > 0) {
      req.body.append(buf.data(), static_cast<size_t>(n));
      if (req.body.size() > options_.max_body_bytes) break;
    }
    if (req.body.size() > options_.max_body_bytes) {
      resp = HttpResponse::Problem(413, "request body too large", req.path);
    } else {
      try {
        // Default deny: a server without a gate answers nothing.
        if (!gate_) {
          resp = HttpResponse::Problem(403, "the server has no access gate", req.path);
        } else if (gate_(&req, &resp)) {
          resp = router_->Dispatch(&req);
        }
      } catch (const std::exception& e) {
        resp = HttpResponse::Problem(500, std::string("internal error: ") + e.what(), req.path);
      } catch (...) {
        resp = HttpResponse::Problem(500, "internal error", req.path);
      }
    }
  }
  if (filter_) filter_(req, &resp);
  WriteResponse(conn, resp, req.method == "HEAD");
  if (observer_) {
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    observer_(req.method, router_->RouteOf(req), resp.status, secs);
  }
  guard_->RequestEnded(req.remote_addr, ri->remote_port);
  in_flight_.fetch_sub(1);
  return resp.status;
}

void HttpServer::Drain(std::chrono::milliseconds timeout) {
  draining_.store(true);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void HttpServer::Stop() {
  if (ctx_) {
    mg_stop(ctx_);
    ctx_ = nullptr;
  }
}

}  // namespace mlops::api
