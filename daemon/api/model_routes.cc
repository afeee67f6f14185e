#include "api/model_routes.h"

#include <spdlog/spdlog.h>

#include <optional>

#include "api/json_body.h"
#include "api/json_response.h"
#include "mlops/common/sha256.h"
#include "mlops/registry/model_registry.h"
#include "models/model_service.h"

namespace mlops::api {
namespace {

using nlohmann::json;

// A positive decimal number of at most 15 digits, or 0.
int64_t ParsePositive(const std::string& raw) {
  if (raw.empty() || raw.size() > 15) return 0;
  int64_t n = 0;
  for (char c : raw) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + (c - '0');
  }
  return n;
}

json VersionJson(const registry::ModelVersionRecord& v, bool full) {
  json j = {{"model", v.model},
            {"version", v.version},
            {"stage", v.stage},
            {"artifact_sha256", v.artifact_sha256},
            {"envelope_sha256", v.envelope_sha256},
            {"signed", !v.envelope_sha256.empty()},
            {"run_id", v.run_id},
            {"gates_passed", v.gates_passed},
            {"created_ms", v.created_ms},
            {"aliases", v.aliases}};
  json metrics = json::parse(v.metrics_json, nullptr, false);
  j["metrics"] = metrics.is_discarded() ? json::object() : metrics;
  if (full) {
    json prov = json::parse(v.provenance_json, nullptr, false);
    j["provenance"] = prov.is_discarded() ? json::object() : prov;
  }
  return j;
}

json ModelJson(const registry::ModelRecord& m) {
  return {{"name", m.name},
          {"pipeline", m.pipeline},
          {"created_ms", m.created_ms},
          {"production_version", m.production_version},
          {"latest_version", m.latest_version}};
}

json KeyJson(const registry::TrustedKeyRecord& k) {
  return {{"key_id", k.key_id},     {"name", k.name},
          {"added_ms", k.added_ms}, {"added_by", k.added_by},
          {"revoked", k.revoked_ms != 0}, {"revoked_ms", k.revoked_ms},
          {"revoked_by", k.revoked_by},   {"public_key_pem", k.public_key_pem}};
}

json AuditJson(const registry::AuditRecord& a) {
  json detail = json::parse(a.detail_json, nullptr, false);
  return {{"id", a.id},
          {"at_ms", a.at_ms},
          {"actor", a.actor},
          {"action", a.action},
          {"model", a.model},
          {"version", a.version},
          {"from", a.from_stage},
          {"to", a.to_stage},
          {"reason", a.reason},
          {"detail", detail.is_discarded() ? json::object() : detail}};
}

std::string Actor(const HttpRequest& req) { return req.actor.empty() ? "anonymous" : req.actor; }

// The trust store is admin-only in the route policy too; checked again here
// so that a policy row changed by mistake cannot hand it to lower roles.
std::optional<HttpResponse> UnlessAdmin(const HttpRequest& req, const std::string& what) {
  if (req.role == "admin") return std::nullopt;
  return HttpResponse::Problem(403,
                               what + " is for the admin role only; the caller's role is '" +
                                   (req.role.empty() ? std::string("none") : req.role) + "'",
                               req.path);
}

// The model name and (when the route has one) the version from the path;
// a problem response when either is malformed.
bool PathTarget(const HttpRequest& req, std::string* model, int64_t* version, HttpResponse* bad) {
  *model = req.path_params.at("name");
  Status s = registry::CheckModelName(*model);
  if (!s.ok()) {
    *bad = HttpResponse::Problem(400, s.message(), req.path);
    return false;
  }
  auto it = req.path_params.find("version");
  if (it != req.path_params.end()) {
    *version = ParsePositive(it->second);
    if (*version <= 0) {
      *bad = HttpResponse::Problem(400, "version must be a positive integer", req.path);
      return false;
    }
  }
  return true;
}

HttpResponse PromoteAnswer(const Status& s, const models::PromoteResult& r, const HttpRequest& req) {
  if (!s.ok()) return FromStatus(s, req.path);
  return Ok(r.ToJson(), r.approval_pending ? 202 : 200);
}

}  // namespace

void AddModelRoutes(models::ModelService* service, registry::ModelRegistry* models, Clock* clock,
                    Router* router) {
  router->Add("GET", "/api/v1/models", [models](const HttpRequest& req) {
    std::vector<registry::ModelRecord> all;
    Status s = models->ListModels(&all);
    return ListAnswer(s, all, ModelJson, "models", req.path);
  });
  router->Add("GET", "/api/v1/models/{name}", [models](const HttpRequest& req) {
    std::string name;
    int64_t version = 0;
    HttpResponse bad;
    if (!PathTarget(req, &name, &version, &bad)) return bad;
    registry::ModelRecord m;
    Status s = models->GetModel(name, &m);
    std::vector<registry::ModelVersionRecord> versions;
    if (s.ok()) s = models->ListVersions(name, &versions);
    if (!s.ok()) return FromStatus(s, req.path);
    json j = ModelJson(m);
    j["versions"] = json::array();
    for (const auto& v : versions) j["versions"].push_back(VersionJson(v, false));
    return Ok(j);
  });
  router->Add("GET", "/api/v1/models/{name}/versions/{version}", [models](const HttpRequest& req) {
    std::string name;
    int64_t version = 0;
    HttpResponse bad;
    if (!PathTarget(req, &name, &version, &bad)) return bad;
    registry::ModelVersionRecord v;
    Status s = models->GetVersion(name, version, &v);
    if (!s.ok()) return FromStatus(s, req.path);
    return Ok(VersionJson(v, true));
  });
  router->Add("GET", "/api/v1/models/{name}/versions/{version}/signature",
              [models](const HttpRequest& req) {
                std::string name;
                int64_t version = 0;
                HttpResponse bad;
                if (!PathTarget(req, &name, &version, &bad)) return bad;
                registry::ModelVersionRecord v;
                Status s = models->GetVersion(name, version, &v);
                if (!s.ok()) return FromStatus(s, req.path);
                if (v.envelope_sha256.empty()) {
                  return HttpResponse::Problem(404, "version " + std::to_string(version) +
                                                        " has no signature", req.path);
                }
                registry::SignatureRecord sig;
                s = models->GetSignature(v.envelope_sha256, &sig);
                if (!s.ok()) return FromStatus(s, req.path);
                return Ok({{"envelope_sha256", sig.envelope_sha256},
                           {"artifact_sha256", sig.artifact_sha256},
                           {"key_id", sig.key_id},
                           {"run_id", sig.run_id},
                           {"created_ms", sig.created_ms},
                           {"content_url", "/api/v1/artifacts/" + sig.envelope_sha256 + "/content"}});
              });
  router->Add("POST", "/api/v1/models/{name}/versions/{version}/verify",
              [service](const HttpRequest& req) {
                std::string name;
                int64_t version = 0;
                HttpResponse bad;
                if (!PathTarget(req, &name, &version, &bad)) return bad;
                json body;
                if (!ParseBody(req, {}, &body, &bad)) return bad;
                models::VerifyReport report;
                Status s = service->Verify(name, version, &report);
                if (!s.ok()) return FromStatus(s, req.path);
                return Ok(report.ToJson());
              });
  router->Add("POST", "/api/v1/models/{name}/versions/{version}/promote",
              [service](const HttpRequest& req) {
                models::PromoteRequest p;
                HttpResponse bad;
                if (!PathTarget(req, &p.model, &p.version, &bad)) return bad;
                json body;
                if (!ParseBody(req, {"to", "reason", "expected_production", "request_id"}, &body, &bad) ||
                    !StringField(body, "to", true, &p.to_stage, req, &bad) ||
                    !StringField(body, "reason", false, &p.reason, req, &bad) ||
                    !StringField(body, "request_id", true, &p.request_id, req, &bad)) {
                  return bad;
                }
                int64_t expected = -1;
                if (!IntField(body, "expected_production", true, 0, &expected, req, &bad)) return bad;
                p.expected_production = expected;
                p.actor = Actor(req);
                p.role = req.role;
                models::PromoteResult r;
                return PromoteAnswer(service->Promote(p, &r), r, req);
              });
  router->Add("POST", "/api/v1/models/{name}/versions/{version}/approve",
              [service](const HttpRequest& req) {
                std::string name;
                int64_t version = 0;
                HttpResponse bad;
                if (!PathTarget(req, &name, &version, &bad)) return bad;
                json body;
                if (!ParseBody(req, {}, &body, &bad)) return bad;
                models::PromoteResult r;
                return PromoteAnswer(service->Approve(name, version, Actor(req), req.role, &r), r, req);
              });
  router->Add("POST", "/api/v1/models/{name}/rollback", [service](const HttpRequest& req) {
    std::string name;
    int64_t unused = 0;
    HttpResponse bad;
    if (!PathTarget(req, &name, &unused, &bad)) return bad;
    json body;
    std::string reason, request_id;
    int64_t version = 0;
    if (!ParseBody(req, {"version", "reason", "request_id"}, &body, &bad) ||
        !IntField(body, "version", true, 1, &version, req, &bad) ||
        !StringField(body, "reason", true, &reason, req, &bad) ||
        !StringField(body, "request_id", true, &request_id, req, &bad)) {
      return bad;
    }
    models::PromoteResult r;
    return PromoteAnswer(service->Rollback(name, version, reason, Actor(req), req.role, request_id, &r),
                         r, req);
  });
  router->Add("PUT", "/api/v1/models/{name}/aliases/{alias}", [models, clock](const HttpRequest& req) {
    std::string name;
    int64_t unused = 0;
    HttpResponse bad;
    if (!PathTarget(req, &name, &unused, &bad)) return bad;
    const std::string alias = req.path_params.at("alias");
    Status s = registry::CheckAliasName(alias);
    if (!s.ok()) return HttpResponse::Problem(400, s.message(), req.path);
    json body;
    int64_t version = 0;
    if (!ParseBody(req, {"version"}, &body, &bad) ||
        !IntField(body, "version", true, 1, &version, req, &bad)) {
      return bad;
    }
    s = models->SetAlias(name, alias, version, Actor(req), clock->WallMillis());
    if (!s.ok()) return FromStatus(s, req.path);
    return Ok({{"model", name}, {"alias", alias}, {"version", version}});
  });
  router->Add("DELETE", "/api/v1/models/{name}/aliases/{alias}",
              [models, clock](const HttpRequest& req) {
                std::string name;
                int64_t unused = 0;
                HttpResponse bad;
                if (!PathTarget(req, &name, &unused, &bad)) return bad;
                const std::string alias = req.path_params.at("alias");
                Status s = registry::CheckAliasName(alias);
                if (!s.ok()) return HttpResponse::Problem(400, s.message(), req.path);
                s = models->DeleteAlias(name, alias, Actor(req), clock->WallMillis());
                if (!s.ok()) return FromStatus(s, req.path);
                return Ok({{"model", name}, {"alias", alias}, {"deleted", true}});
              });
  router->Add("GET", "/api/v1/audit", [models](const HttpRequest& req) {
    registry::AuditFilter f;
    f.model = req.Query("model");
    if (!f.model.empty()) {
      Status s = registry::CheckModelName(f.model);
      if (!s.ok()) return HttpResponse::Problem(400, "model: " + s.message(), req.path);
    }
    const std::string limit = req.Query("limit", "100");
    f.limit = static_cast<int>(ParsePositive(limit));
    if (f.limit < 1 || f.limit > 1000) {
      return HttpResponse::Problem(400, "limit must be an integer from 1 to 1000", req.path);
    }
    const std::string before = req.Query("before");
    if (!before.empty()) {
      f.before_id = ParsePositive(before);
      if (f.before_id <= 0) {
        return HttpResponse::Problem(400, "before must be a positive audit entry id", req.path);
      }
    }
    std::vector<registry::AuditRecord> entries;
    Status s = models->ListAudit(f, &entries);
    return ListAnswer(s, entries, AuditJson, "entries", req.path);
  });
  router->Add("GET", "/api/v1/keys", [models](const HttpRequest& req) {
    std::vector<registry::TrustedKeyRecord> keys;
    Status s = models->ListKeys(&keys);
    return ListAnswer(s, keys, KeyJson, "keys", req.path);
  });
  router->Add("POST", "/api/v1/keys", [service](const HttpRequest& req) {
    if (auto deny = UnlessAdmin(req, "trusting a key")) return *deny;
    json body;
    HttpResponse bad;
    std::string pem, name;
    if (!ParseBody(req, {"pem", "name"}, &body, &bad) ||
        !StringField(body, "pem", true, &pem, req, &bad) ||
        !StringField(body, "name", true, &name, req, &bad)) {
      return bad;
    }
    registry::TrustedKeyRecord k;
    Status s = service->TrustKey(pem, name, Actor(req), &k);
    if (!s.ok()) return FromStatus(s, req.path);
    spdlog::info("key {} '{}' trusted by '{}'", k.key_id, k.name, Actor(req));
    return Ok(KeyJson(k), 201);
  });
  router->Add("POST", "/api/v1/keys/{id}/revoke", [service](const HttpRequest& req) {
    if (auto deny = UnlessAdmin(req, "revoking a trusted key")) return *deny;
    const std::string id = req.path_params.at("id");
    if (!IsSha256Hex(id)) {
      return HttpResponse::Problem(400, "a key id is 64 lower-case hex digits", req.path);
    }
    json body;
    HttpResponse bad;
    if (!ParseBody(req, {}, &body, &bad)) return bad;
    registry::TrustedKeyRecord k;
    Status s = service->RevokeKey(id, Actor(req), &k);
    if (!s.ok()) return FromStatus(s, req.path);
    spdlog::info("key {} '{}' revoked by '{}'", k.key_id, k.name, Actor(req));
    return Ok(KeyJson(k));
  });
}

}  // namespace mlops::api
