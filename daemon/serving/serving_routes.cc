#include "serving/serving_routes.h"

#include "api/json_body.h"
#include "api/json_response.h"
#include "mlops/common/files.h"
#include "serving/shared/serve_stats.h"

namespace mlops::serving {
namespace {

using nlohmann::json;

json CanaryJson(const registry::CanaryRecord& c) {
  return {{"version", c.version},       {"share_percent", c.share_percent},
          {"state", c.state},           {"started_ms", c.started_ms},
          {"updated_ms", c.updated_ms}, {"policy", json::parse(c.policy_json, nullptr, false)}};
}

json VersionJson(const VersionStats& v) {
  return {{"state", v.state},           {"reason", v.reason},
          {"requests", v.requests},     {"errors", v.errors},
          {"client_errors", v.client_errors}};
}

std::string Actor(const api::HttpRequest& req) {
  return req.actor.empty() ? "anonymous" : req.actor;
}

}  // namespace

json ServingStatus(const ServingRoutesContext& ctx) {
  json out = {{"models", json::array()}};
  std::string addr;
  Status as = ReadFile(ServeAddrPath(ctx.state_dir), &addr);
  while (!addr.empty() && (addr.back() == '\n' || addr.back() == ' ')) addr.pop_back();
  ServeStats stats;
  Status ss = ReadServeStats(ctx.state_dir, &stats);
  const int64_t age_ms = ss.ok() ? ctx.clock->WallMillis() - stats.written_ms : -1;
  json health = {{"address", as.ok() ? json(addr) : json(nullptr)},
                 {"stats_fresh", ss.ok() && age_ms <= ctx.stale_after.count()}};
  if (ss.ok()) {
    health["pid"] = stats.pid;
    health["started_ms"] = stats.started_ms;
    health["stats_age_ms"] = age_ms;
  } else {
    health["stats_problem"] = ss.message();
  }
  if (ctx.supervisor) health["supervisor"] = ctx.supervisor();
  health["status"] = health["stats_fresh"].get<bool>() ? "up" : "down";
  out["server"] = health;

  std::vector<registry::ModelRecord> models;
  Status ms = ctx.models->ListModels(&models);
  if (!ms.ok()) out["problem"] = ms.message();
  const json judged = ctx.controller ? ctx.controller->StatusJson() : json::object();
  for (const registry::ModelRecord& m : models) {
    registry::CanaryRecord c;
    const bool has_canary = ctx.models->GetCanary(m.name, &c).ok();
    if (m.production_version == 0 && !has_canary) continue;
    json j = {{"name", m.name}, {"production_version", m.production_version}};
    j["canary"] = has_canary ? CanaryJson(c) : json(nullptr);
    if (has_canary && judged.contains(m.name)) j["canary"]["controller"] = judged[m.name];
    json served = json::object();
    auto it = stats.models.find(m.name);
    if (ss.ok() && it != stats.models.end()) {
      for (const auto& [version, counters] : it->second.versions) {
        served[std::to_string(version)] = VersionJson(counters);
      }
    }
    j["served"] = served;
    out["models"].push_back(j);
  }
  return out;
}

void AddServingRoutes(const ServingRoutesContext& ctx, api::Router* router) {
  router->Add("GET", "/api/v1/serving",
              [ctx](const api::HttpRequest&) { return api::Ok(ServingStatus(ctx)); });
  router->Add("POST", "/api/v1/models/{name}/canary", [ctx](const api::HttpRequest& req) {
    const std::string name = req.path_params.at("name");
    Status s = registry::CheckModelName(name);
    if (!s.ok()) return api::HttpResponse::Problem(400, s.message(), req.path);
    json body;
    api::HttpResponse bad;
    std::string action, reason;
    int64_t version = 0, share = -1;
    if (!api::ParseBody(req, {"action", "version", "share_percent", "reason"}, &body, &bad) ||
        !api::StringField(body, "action", true, &action, req, &bad) ||
        !api::IntField(body, "version", action == "start", 1, &version, req, &bad) ||
        !api::IntField(body, "share_percent", action == "share", 0, &share, req, &bad) ||
        !api::StringField(body, "reason", false, &reason, req, &bad)) {
      return bad;
    }
    if (share > 100) {
      return api::HttpResponse::Problem(400, "'share_percent' must be 0 to 100", req.path);
    }
    registry::CanaryRecord c;
    if (action == "start") {
      s = ctx.starter->Start(name, version, share < 0 ? std::nullopt : std::optional<int>(share),
                             Actor(req), req.role, &c);
    } else if (action == "share") {
      s = ctx.starter->SetShare(name, static_cast<int>(share), Actor(req), req.role, &c);
    } else if (action == "stop") {
      s = ctx.starter->Stop(name, reason, Actor(req), req.role);
      if (s.ok()) return api::Ok({{"model", name}, {"canary", nullptr}});
    } else {
      return api::HttpResponse::Problem(400, "'action' must be start, share or stop, not '" + action + "'",
                                        req.path);
    }
    if (!s.ok()) return api::FromStatus(s, req.path);
    return api::Ok({{"model", name}, {"canary", CanaryJson(c)}});
  });
}

}  // namespace mlops::serving
