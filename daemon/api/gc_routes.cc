#include "api/gc_routes.h"

#include <spdlog/spdlog.h>

#include "api/json_body.h"
#include "api/json_response.h"
#include "retention/retention_service.h"

namespace mlops::api {
namespace {

using nlohmann::json;

json ReportJson(const retention::CollectReport& r) {
  json removed = json::array();
  for (const auto& x : r.removals) {
    removed.push_back({{"kind", x.kind}, {"path", x.path}, {"bytes", x.bytes}, {"reason", x.reason}});
  }
  return {{"dry_run", r.dry_run},           {"removed", removed},
          {"count", r.removals.size()},     {"bytes", r.bytes},
          {"kept_in_use", r.kept_in_use},   {"errors", r.errors}};
}

}  // namespace

void AddGcRoutes(retention::RetentionService* service, Router* router) {
  router->Add("POST", "/api/v1/gc", [service](const HttpRequest& req) {
    json body;
    HttpResponse bad;
    bool dry_run = false, artifacts = false;
    if (!ParseBody(req, {"dry_run", "artifacts"}, &body, &bad) ||
        !BoolField(body, "dry_run", false, &dry_run, req, &bad) ||
        !BoolField(body, "artifacts", false, &artifacts, req, &bad)) {
      return bad;
    }
    retention::CollectReport report;
    Status s = service->Collect(dry_run, artifacts, &report);
    if (!s.ok()) return FromStatus(s, req.path);
    if (!dry_run) {
      spdlog::info("gc by '{}': removed {} entries, {} bytes", req.actor, report.removals.size(),
                   report.bytes);
    }
    return Ok(ReportJson(report));
  });
}

}  // namespace mlops::api
