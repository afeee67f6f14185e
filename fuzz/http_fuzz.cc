// Request targets against the API's router (daemon/api/http.h): the input
// is "METHOD TARGET" (or a bare TARGET, sent as GET), TARGET being the raw
// path and query a client sends. As the server does (http_server.cc), a
// non-canonical path is refused before routing; a canonical one is decoded
// and dispatched over every route of the daemon's policy table, each
// answering with its path parameters. Nothing may throw, abort or leak, and
// a matched parameter is never empty and never spans a '/'.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/http.h"
#include "api/route_policy.h"

namespace {

const mlops::api::Router& TheRouter() {
  static const mlops::api::Router* router = [] {
    auto* r = new mlops::api::Router;
    for (const auto& policy : mlops::api::RoutePolicies()) {
      r->Add(policy.method, policy.pattern, [](const mlops::api::HttpRequest& req) {
        for (const auto& [name, value] : req.path_params) {
          if (value.empty() || value.find('/') != std::string::npos) __builtin_trap();
        }
        return mlops::api::HttpResponse::Json(200, "{}");
      });
    }
    return r;
  }();
  return *router;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t space = input.find(' ');
  mlops::api::HttpRequest req;
  req.method = space == std::string::npos ? "GET" : input.substr(0, space);
  const std::string target = space == std::string::npos ? input : input.substr(space + 1);
  const size_t question = target.find('?');
  const std::string raw_path = target.substr(0, question);
  if (question != std::string::npos) req.query = mlops::api::ParseQuery(target.substr(question + 1));
  req.path = mlops::api::UrlDecode(raw_path, false);
  if (!mlops::api::NonCanonicalPathReason(raw_path).empty() ||
      !mlops::api::NonCanonicalPathReason(req.path).empty()) {
    return 0;  // the server answers 400 before routing
  }
  const mlops::api::HttpResponse resp = TheRouter().Dispatch(&req);
  if (resp.status != 200 && resp.status != 404 && resp.status != 405) __builtin_trap();
  (void)TheRouter().RouteOf(req);
  return 0;
}
