#include "api/token_routes.h"

#include <spdlog/spdlog.h>

#include "api/json_body.h"
#include "api/json_response.h"
#include "mlops/registry/token_store.h"

namespace mlops::api {
namespace {

using nlohmann::json;

json TokenJson(const registry::TokenRecord& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"role", t.role},
          {"created_ms", t.created_ms},
          {"created_by", t.created_by},
          {"revoked", t.revoked_ms != 0},
          {"revoked_ms", t.revoked_ms},
          {"last_used_ms", t.last_used_ms}};
}

// A positive decimal id, or 0.
int64_t ParseId(const std::string& raw) {
  if (raw.empty() || raw.size() > 15) return 0;
  int64_t id = 0;
  for (char c : raw) {
    if (c < '0' || c > '9') return 0;
    id = id * 10 + (c - '0');
  }
  return id;
}

}  // namespace

void AddTokenRoutes(registry::TokenStore* tokens, Clock* clock, Router* router) {
  router->Add("GET", "/api/v1/whoami", [](const HttpRequest& req) {
    return Ok({{"name", req.actor}, {"role", req.role}});
  });
  router->Add("GET", "/api/v1/tokens", [tokens](const HttpRequest& req) {
    std::vector<registry::TokenRecord> all;
    Status s = tokens->List(&all);
    return ListAnswer(s, all, TokenJson, "tokens", req.path);
  });
  router->Add("POST", "/api/v1/tokens", [tokens, clock](const HttpRequest& req) {
    json body;
    HttpResponse bad;
    std::string name, role;
    if (!ParseBody(req, {"name", "role"}, &body, &bad) ||
        !StringField(body, "name", true, &name, req, &bad) ||
        !StringField(body, "role", true, &role, req, &bad)) {
      return bad;
    }
    registry::TokenRecord rec;
    std::string secret;
    Status s = tokens->Create(name, role,
                              req.actor, clock->WallMillis(), &rec, &secret);
    if (!s.ok()) return FromStatus(s, req.path);
    spdlog::info("token {} '{}' (role {}) created by '{}'", rec.id, rec.name, rec.role, req.actor);
    json j = TokenJson(rec);
    j["token"] = secret;  // the only time it is ever shown
    return Ok(j, 201);
  });
  router->Add("POST", "/api/v1/tokens/{id}/revoke", [tokens, clock](const HttpRequest& req) {
    const int64_t id = ParseId(req.path_params.at("id"));
    if (id <= 0) return HttpResponse::Problem(400, "token id must be a positive integer", req.path);
    json body;
    HttpResponse bad;
    if (!ParseBody(req, {}, &body, &bad)) return bad;
    // The store refuses to revoke the last live admin token (409): a daemon
    // without one could only be recovered by a restart's bootstrap.
    registry::TokenRecord rec;
    Status s = tokens->Revoke(id, clock->WallMillis(), &rec);
    if (!s.ok()) return FromStatus(s, req.path);
    spdlog::info("token {} '{}' (role {}) revoked by '{}'", rec.id, rec.name, rec.role, req.actor);
    return Ok(TokenJson(rec));
  });
}

}  // namespace mlops::api
