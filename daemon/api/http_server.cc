#include "api/http_server.h"

#include <civetweb.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

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
  out += "Cache-Control: no-store\r\n";
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
  const std::string threads = std::to_string(options_.threads);
  const std::string listening = options_.listen + (tls ? "s" : "");
  std::vector<const char*> opts = {"listening_ports", listening.c_str(),
                                   "num_threads", threads.c_str(),
                                   "tcp_nodelay", "1",
                                   "request_timeout_ms", "30000",
                                   "enable_keep_alive", "yes"};
  if (tls) {
    opts.insert(opts.end(), {"ssl_certificate", options_.tls_pem.c_str(),
                             "ssl_protocol_version", "4"});  // TLS 1.2 and later
  }
  opts.push_back(nullptr);
  mg_callbacks callbacks{};
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
  return Status::OK();
}

int HttpServer::Handle(mg_connection* conn, void* self) {
  return static_cast<HttpServer*>(self)->Serve(conn);
}

int HttpServer::Serve(mg_connection* conn) {
  const auto start = std::chrono::steady_clock::now();
  in_flight_.fetch_add(1);
  const mg_request_info* ri = mg_get_request_info(conn);
  HttpRequest req;
  req.method = ri->request_method ? ri->request_method : "";
  req.path = ri->local_uri ? ri->local_uri : "/";
  if (ri->query_string) req.query = ParseQuery(ri->query_string);
  for (int i = 0; i < ri->num_headers; ++i) {
    req.headers[Lower(ri->http_headers[i].name)] = ri->http_headers[i].value;
  }
  req.remote_addr = ri->remote_addr;
  // CivetWeb decodes the path, then folds dot segments and backslashes
  // away; check what the client sent, before that clean-up.
  const std::string sent_path = ri->local_uri_raw ? ri->local_uri_raw : req.path;
  const std::string path_problem = NonCanonicalPathReason(sent_path);
  HttpResponse resp;
  if (!path_problem.empty()) {
    req.path = sent_path;  // so that no route's metrics count it
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
  WriteResponse(conn, resp, req.method == "HEAD");
  if (observer_) {
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    observer_(req.method, router_->RouteOf(req), resp.status, secs);
  }
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
