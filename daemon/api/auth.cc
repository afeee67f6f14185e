#include "api/auth.h"

#include <spdlog/spdlog.h>

#include "api/bearer.h"
#include "mlops/registry/token_store.h"

namespace mlops::api {
namespace {

int AccessRank(Access a) {
  switch (a) {
    case Access::kViewer: return 0;
    case Access::kOperator: return 1;
    case Access::kAdmin: return 2;
    default: return -1;
  }
}

}  // namespace

std::optional<Access> PolicyFor(const std::string& method, const std::string& pattern) {
  const std::string& m = method == "HEAD" ? std::string("GET") : method;
  for (const RoutePolicy& p : RoutePolicies()) {
    if (m == p.method && pattern == p.pattern) return p.access;
  }
  return std::nullopt;
}

Status CheckRoutePolicies(const Router& router) {
  for (const auto& [method, pattern] : router.Routes()) {
    if (!PolicyFor(method, pattern)) {
      return Status::InvalidArgument("route " + method + " " + pattern +
                                     " has no access policy (add a row to "
                                     "daemon/api/route_policy.cc); refusing to start");
    }
  }
  return Status::OK();
}

Authorizer::Authorizer(const Router* router, registry::TokenStore* tokens, Clock* clock,
                       AuthOptions opts)
    : router_(router), tokens_(tokens), clock_(clock), opts_(opts) {}

bool Authorizer::Admit(HttpRequest* req, HttpResponse* deny) const {
  const std::string route = router_->RouteOf(*req);
  // Unmatched paths (404/405 after dispatch) need any valid token.
  std::optional<Access> need = route == "unmatched" ? std::optional<Access>(Access::kViewer)
                                                    : PolicyFor(req->method, route);
  if (!need) {
    // Cannot happen once CheckRoutePolicies passed; deny by default anyway.
    *deny = HttpResponse::Problem(403, "this route has no access policy", req->path);
    return false;
  }
  if (*need == Access::kPublic) return true;
  if (route == "/metrics" && opts_.public_metrics) return true;
  if (*need == Access::kWebhook) return true;

  const std::string header = req->Header("authorization");
  if (header.empty()) {
    *deny = Unauthorized("this endpoint needs a bearer token: send 'Authorization: Bearer TOKEN' "
                         "(mlctl reads MLCTL_TOKEN or MLCTL_TOKEN_FILE)",
                         "", req->path);
    return false;
  }
  std::optional<std::string_view> token = BearerToken(header);
  if (!token) {
    *deny = Unauthorized("the Authorization header must be 'Bearer TOKEN'", "invalid_request",
                         req->path);
    return false;
  }
  registry::TokenRecord rec;
  Status s = tokens_->Authenticate(*token, clock_->WallMillis(), &rec);
  if (!s.ok()) {
    if (!s.IsPermissionDenied()) spdlog::warn("token check failed: {}", s.message());
    *deny = Unauthorized("the bearer token is unknown, revoked or malformed", "invalid_token",
                         req->path);
    return false;
  }
  if (registry::RoleRank(rec.role) < AccessRank(*need)) {
    *deny = HttpResponse::Problem(403,
                                  std::string("this endpoint needs the role '") + ToString(*need) +
                                      "' or higher; token '" + rec.name + "' has role '" +
                                      rec.role + "'",
                                  req->path);
    return false;
  }
  req->actor = rec.name;
  req->role = rec.role;
  return true;
}

}  // namespace mlops::api
