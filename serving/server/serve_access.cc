#include "serving/server/serve_access.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "api/bearer.h"

namespace mlops::serving {

bool IsPublicServePath(const std::string& path) {
  return path == "/v2/health/live" || path == "/v2/health/ready";
}

api::RequestGate MakeServeGate(TokenCache* tokens, ServeAccessOptions options) {
  return [tokens, options](api::HttpRequest* req, api::HttpResponse* deny) {
    if (IsPublicServePath(req->path) || options.anonymous_predict) return true;
    const std::string header = req->Header("authorization");
    std::optional<std::string_view> token;
    if (!header.empty()) token = api::BearerToken(header);
    if (!token) {
      *deny = api::Unauthorized(
          header.empty() ? "this endpoint needs a bearer token: send 'Authorization: Bearer TOKEN'"
                         : "the Authorization header must be 'Bearer TOKEN'",
          header.empty() ? "" : "invalid_request", req->path, "mlops-serve");
      return false;
    }
    registry::TokenRecord rec;
    Status s = tokens->Authenticate(*token, &rec);
    if (!s.ok()) {
      if (!s.IsPermissionDenied()) spdlog::warn("token check failed: {}", s.message());
      *deny = api::Unauthorized("the bearer token is unknown, revoked or malformed",
                                "invalid_token", req->path, "mlops-serve");
      return false;
    }
    if (std::find(options.predict_roles.begin(), options.predict_roles.end(), rec.role) ==
        options.predict_roles.end()) {
      *deny = api::HttpResponse::Problem(
          403, "token '" + rec.name + "' has role '" + rec.role +
                   "', which may not predict here (serving.predict_roles)",
          req->path);
      return false;
    }
    req->actor = rec.name;
    req->role = rec.role;
    return true;
  };
}

}  // namespace mlops::serving
