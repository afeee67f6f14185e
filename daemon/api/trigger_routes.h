// Routes for watched repositories, push webhooks and data versions. The
// daemon supplies the behaviour as functions, so the API layer does not
// depend on git or the trigger services.
#pragma once

#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "api/http.h"
#include "mlops/common/status.h"

namespace mlops::api {

struct WebhookAnswer {
  int http_status = 202;
  std::string result;
  std::string detail;
};

struct TriggerApi {
  std::function<nlohmann::json()> list_repos;
  std::function<Status(const std::string& name, nlohmann::json* out)> show_repo;
  std::function<Status(const std::string& name)> sync_repo;
  // source is "gitlab" or "github"; headers have lower-case names.
  std::function<WebhookAnswer(const std::string& source, const std::string& repo,
                              const std::map<std::string, std::string>& headers,
                              const std::string& body)> webhook;
  std::function<Status(nlohmann::json* out)> list_data;
  std::function<Status(int64_t id, nlohmann::json* out)> show_data;
};

// Adds GET /api/v1/repos, GET /api/v1/repos/{name}, POST /api/v1/repos/{name}/sync,
// POST /api/v1/webhooks/{source}/{repo}, GET /api/v1/data, GET /api/v1/data/{id}.
void AddTriggerRoutes(TriggerApi api, Router* router);

}  // namespace mlops::api
