#include "api/trigger_routes.h"

#include "api/json_body.h"
#include "api/json_response.h"

namespace mlops::api {

using nlohmann::json;

void AddTriggerRoutes(TriggerApi api, Router* router) {
  router->Add("GET", "/api/v1/repos", [api](const HttpRequest&) {
    return Ok({{"repos", api.list_repos ? api.list_repos() : json::array()}});
  });
  router->Add("GET", "/api/v1/repos/{name}", [api](const HttpRequest& req) {
    json j;
    Status s = api.show_repo ? api.show_repo(req.path_params.at("name"), &j)
                             : Status::NotFound("no watched repositories");
    return s.ok() ? Ok(j) : FromStatus(s, req.path);
  });
  router->Add("POST", "/api/v1/repos/{name}/sync", [api](const HttpRequest& req) {
    json body;
    HttpResponse bad;
    if (!ParseBody(req, {}, &body, &bad)) return bad;
    Status s = api.sync_repo ? api.sync_repo(req.path_params.at("name"))
                             : Status::NotFound("no watched repositories");
    return s.ok() ? Ok({{"status", "sync requested"}}, 202) : FromStatus(s, req.path);
  });
  router->Add("POST", "/api/v1/webhooks/{source}/{repo}", [api](const HttpRequest& req) {
    if (!api.webhook) return HttpResponse::Problem(404, "no watched repositories", req.path);
    WebhookAnswer a = api.webhook(req.path_params.at("source"), req.path_params.at("repo"),
                                  req.headers, req.body);
    if (a.http_status >= 400) return HttpResponse::Problem(a.http_status, a.detail, req.path);
    return Ok({{"result", a.result}, {"detail", a.detail}}, a.http_status);
  });
  router->Add("GET", "/api/v1/data", [api](const HttpRequest& req) {
    json j = json::array();
    Status s = api.list_data ? api.list_data(&j) : Status::OK();
    return s.ok() ? Ok({{"data_versions", j}}) : FromStatus(s, req.path);
  });
  router->Add("GET", "/api/v1/data/{id}", [api](const HttpRequest& req) {
    const std::string& raw = req.path_params.at("id");
    int64_t id = 0;
    for (char c : raw) {
      if (c < '0' || c > '9' || id > (int64_t{1} << 50)) {
        return HttpResponse::Problem(400, "data version id must be a positive integer, got '" + raw + "'",
                                     req.path);
      }
      id = id * 10 + (c - '0');
    }
    if (id <= 0) return HttpResponse::Problem(400, "data version id must be a positive integer", req.path);
    json j;
    Status s = api.show_data ? api.show_data(id, &j) : Status::NotFound("no data versions");
    return s.ok() ? Ok(j) : FromStatus(s, req.path);
  });
}

}  // namespace mlops::api
