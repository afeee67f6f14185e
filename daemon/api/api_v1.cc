#include "api/api_v1.h"

#include <sys/stat.h>

#include <fstream>

#include "api/record_json.h"
#include "mlops/common/files.h"
#include "mlops/common/sha256.h"

namespace mlops::api {
namespace {

using nlohmann::json;

HttpResponse FromStatus(const Status& s, const std::string& instance) {
  int code = 500;
  switch (s.code()) {
    case Status::Code::kNotFound: code = 404; break;
    case Status::Code::kInvalidArgument: code = 400; break;
    case Status::Code::kConflict: code = 409; break;
    case Status::Code::kUnavailable: code = 503; break;
    case Status::Code::kPermissionDenied: code = 403; break;
    default: code = 500;
  }
  return HttpResponse::Problem(code, s.message(), instance);
}

HttpResponse Ok(const json& j, int status = 200) {
  return HttpResponse::Json(status, j.dump(-1, ' ', false, json::error_handler_t::replace));
}

// Parses a positive integer path or query value; false when malformed.
bool ParseId(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return v > 0;
}

HttpResponse BadId(const HttpRequest& req, const std::string& what, const std::string& value) {
  return HttpResponse::Problem(400, what + " must be a positive integer, got '" + value + "'",
                               req.path);
}

bool ParseBodyObject(const HttpRequest& req, json* out, HttpResponse* error) {
  if (req.body.empty()) {
    *out = json::object();
    return true;
  }
  *out = json::parse(req.body, nullptr, false);
  if (out->is_discarded() || !out->is_object()) {
    *error = HttpResponse::Problem(400, "request body must be a JSON object", req.path);
    return false;
  }
  return true;
}

json RunDetail(registry::Store* store, const registry::RunRecord& run) {
  json j = ToJson(run);
  std::vector<registry::StageAttemptRecord> attempts;
  j["stages"] = json::array();
  if (store->ListAttempts(run.id, &attempts).ok()) {
    for (const auto& a : attempts) {
      json aj = ToJson(a);
      std::vector<registry::MetricRecord> metrics;
      aj["metrics"] = json::array();
      if (store->ListMetrics(a.id, &metrics).ok()) {
        for (const auto& m : metrics) aj["metrics"].push_back(ToJson(m));
      }
      std::vector<registry::ArtifactEdge> edges;
      aj["artifacts"] = json::array();
      if (store->ListEdges(a.id, &edges).ok()) {
        for (const auto& e : edges) aj["artifacts"].push_back(ToJson(e));
      }
      j["stages"].push_back(aj);
    }
  }
  return j;
}

}  // namespace

void AddApiV1Routes(const ApiContext& ctx, Router* router) {
  registry::Store* store = ctx.store;

  router->Add("GET", "/healthz", [](const HttpRequest&) {
    return Ok({{"status", "ok"}});
  });
  router->Add("GET", "/readyz", [ctx](const HttpRequest& req) {
    if (ctx.ready && ctx.ready->load()) return Ok({{"status", "ready"}});
    return HttpResponse::Problem(503, "recovering state; not ready yet", req.path);
  });
  router->Add("GET", "/api/v1/version", [ctx](const HttpRequest&) {
    return Ok({{"version", ctx.version}, {"api", "v1"}});
  });

  router->Add("GET", "/api/v1/pipelines", [store](const HttpRequest& req) {
    std::vector<registry::PipelineRecord> list;
    Status s = store->ListPipelines(&list);
    if (!s.ok()) return FromStatus(s, req.path);
    json out = json::array();
    for (const auto& p : list) out.push_back(ToJson(p, false));
    return Ok({{"pipelines", out}});
  });
  router->Add("GET", "/api/v1/pipelines/{name}", [store](const HttpRequest& req) {
    registry::PipelineRecord p;
    Status s = store->GetPipelineByName(req.path_params.at("name"), &p);
    if (!s.ok()) return FromStatus(s, req.path);
    return Ok(ToJson(p, true));
  });
  router->Add("POST", "/api/v1/pipelines/reload", [ctx](const HttpRequest& req) {
    if (!ctx.reload_pipelines) return HttpResponse::Problem(503, "no pipeline folders", req.path);
    Status s = ctx.reload_pipelines();
    if (!s.ok()) return FromStatus(s, req.path);
    return Ok({{"status", "reloaded"}});
  });
  router->Add("POST", "/api/v1/pipelines/{name}/runs", [ctx](const HttpRequest& req) {
    json body;
    HttpResponse err;
    if (!ParseBodyObject(req, &body, &err)) return err;
    scheduler::RunRequest r;
    r.pipeline = req.path_params.at("name");
    r.trigger = "manual";
    if (body.contains("force") && !body["force"].is_boolean()) {
      return HttpResponse::Problem(400, "'force' must be a boolean", req.path);
    }
    r.force = body.value("force", false);
    if (body.contains("reason") && !body["reason"].is_string()) {
      return HttpResponse::Problem(400, "'reason' must be a string", req.path);
    }
    r.reason = body.value("reason", std::string("triggered through the API"));
    if (body.contains("commit")) {
      if (!body["commit"].is_string()) {
        return HttpResponse::Problem(400, "'commit' must be a string", req.path);
      }
      r.commit = body["commit"].get<std::string>();
    }
    int64_t id = 0;
    Status s = ctx.scheduler->Submit(r, &id);
    if (!s.ok()) return FromStatus(s, req.path);
    HttpResponse resp = Ok({{"id", id}, {"status", "queued"}}, 201);
    resp.headers.emplace_back("Location", "/api/v1/runs/" + std::to_string(id));
    return resp;
  });

  router->Add("GET", "/api/v1/runs", [store](const HttpRequest& req) {
    registry::RunFilter f;
    f.pipeline = req.Query("pipeline");
    std::string limit = req.Query("limit", "50");
    int64_t n = 0;
    if (!ParseId(limit, &n) || n > 1000) {
      return HttpResponse::Problem(400, "limit must be an integer in 1..1000, got '" + limit + "'",
                                   req.path);
    }
    f.limit = static_cast<int>(n);
    std::string before = req.Query("before");
    if (!before.empty() && !ParseId(before, &f.before_id)) return BadId(req, "before", before);
    std::string status = req.Query("status");
    if (!status.empty()) {
      registry::RunStatus st;
      if (!registry::ParseRunStatus(status, &st)) {
        return HttpResponse::Problem(400, "unknown run status '" + status +
            "'; expected queued, running, succeeded, failed, cancelled or interrupted", req.path);
      }
      f.status.push_back(st);
    }
    std::vector<registry::RunRecord> runs;
    Status s = store->ListRuns(f, &runs);
    if (!s.ok()) return FromStatus(s, req.path);
    json out = json::array();
    for (const auto& r : runs) out.push_back(ToJson(r));
    json page = {{"runs", out}};
    if (static_cast<int>(runs.size()) == f.limit) page["next_before"] = runs.back().id;
    return Ok(page);
  });
  router->Add("GET", "/api/v1/runs/{id}", [store](const HttpRequest& req) {
    int64_t id;
    if (!ParseId(req.path_params.at("id"), &id)) return BadId(req, "run id", req.path_params.at("id"));
    registry::RunRecord run;
    Status s = store->GetRun(id, &run);
    if (!s.ok()) return FromStatus(s, req.path);
    return Ok(RunDetail(store, run));
  });
  router->Add("POST", "/api/v1/runs/{id}/cancel", [ctx](const HttpRequest& req) {
    int64_t id;
    if (!ParseId(req.path_params.at("id"), &id)) return BadId(req, "run id", req.path_params.at("id"));
    Status s = ctx.scheduler->Cancel(id);
    if (!s.ok()) return FromStatus(s, req.path);
    return Ok({{"id", id}, {"status", "cancelling"}}, 202);
  });
  router->Add("GET", "/api/v1/runs/{id}/logs/{stage}", [store](const HttpRequest& req) {
    int64_t id;
    if (!ParseId(req.path_params.at("id"), &id)) return BadId(req, "run id", req.path_params.at("id"));
    std::vector<registry::StageAttemptRecord> attempts;
    Status s = store->ListAttempts(id, &attempts);
    if (!s.ok()) return FromStatus(s, req.path);
    const std::string& stage = req.path_params.at("stage");
    int64_t want_attempt = 0;
    std::string attempt_q = req.Query("attempt");
    if (!attempt_q.empty() && !ParseId(attempt_q, &want_attempt)) return BadId(req, "attempt", attempt_q);
    const registry::StageAttemptRecord* found = nullptr;
    for (const auto& a : attempts) {
      if (a.stage == stage && (want_attempt == 0 || a.attempt == want_attempt)) found = &a;
    }
    if (!found) {
      return HttpResponse::Problem(404, "run " + std::to_string(id) + " has no attempt of stage '" +
                                            stage + "'", req.path);
    }
    int64_t offset = 0;
    std::string off_q = req.Query("offset");
    if (!off_q.empty() && off_q != "0" && !ParseId(off_q, &offset)) return BadId(req, "offset", off_q);
    std::string text;
    if (!found->log_path.empty()) {
      std::ifstream in(found->log_path, std::ios::binary);
      if (in) {
        in.seekg(0, std::ios::end);
        int64_t size = in.tellg();
        if (offset < size) {
          in.seekg(offset);
          const int64_t n = std::min<int64_t>(size - offset, 4 << 20);
          text.resize(static_cast<size_t>(n));
          in.read(text.data(), n);
        }
      }
    }
    HttpResponse resp = HttpResponse::Text(200, text);
    resp.headers.emplace_back("X-Log-Offset", std::to_string(offset + static_cast<int64_t>(text.size())));
    resp.headers.emplace_back("X-Attempt", std::to_string(found->attempt));
    resp.headers.emplace_back("X-Attempt-Status", registry::ToString(found->status));
    return resp;
  });

  router->Add("GET", "/api/v1/artifacts", [store](const HttpRequest& req) {
    std::string limit = req.Query("limit", "100");
    int64_t n = 0;
    if (!ParseId(limit, &n) || n > 10000) {
      return HttpResponse::Problem(400, "limit must be an integer in 1..10000, got '" + limit + "'",
                                   req.path);
    }
    std::vector<registry::ArtifactRecord> list;
    Status s = store->ListArtifacts(static_cast<int>(n), &list);
    if (!s.ok()) return FromStatus(s, req.path);
    json out = json::array();
    for (const auto& a : list) out.push_back(ToJson(a));
    return Ok({{"artifacts", out}});
  });
  router->Add("GET", "/api/v1/artifacts/{sha}", [store](const HttpRequest& req) {
    const std::string& sha = req.path_params.at("sha");
    if (!IsSha256Hex(sha)) {
      return HttpResponse::Problem(400, "artifact id must be 64 lower-case hex digits", req.path);
    }
    registry::ArtifactRecord a;
    Status s = store->GetArtifact(sha, &a);
    if (!s.ok()) return FromStatus(s, req.path);
    return Ok(ToJson(a));
  });
  router->Add("GET", "/api/v1/artifacts/{sha}/content", [ctx](const HttpRequest& req) {
    const std::string& sha = req.path_params.at("sha");
    if (!IsSha256Hex(sha)) {
      return HttpResponse::Problem(400, "artifact id must be 64 lower-case hex digits", req.path);
    }
    registry::ArtifactRecord a;
    Status s = ctx.store->GetArtifact(sha, &a);
    if (!s.ok()) return FromStatus(s, req.path);
    std::string data;
    s = ReadFile(ctx.artifacts->PathFor(sha), &data);
    if (!s.ok()) return FromStatus(s, req.path);
    HttpResponse resp;
    resp.content_type = a.media_type.empty() ? "application/octet-stream" : a.media_type;
    resp.body = std::move(data);
    return resp;
  });
  router->Add("GET", "/api/v1/lineage/{sha}", [store](const HttpRequest& req) {
    const std::string& sha = req.path_params.at("sha");
    if (!IsSha256Hex(sha)) {
      return HttpResponse::Problem(400, "artifact id must be 64 lower-case hex digits", req.path);
    }
    const std::string dir = req.Query("direction", "upstream");
    if (dir != "upstream" && dir != "downstream") {
      return HttpResponse::Problem(400, "direction must be 'upstream' or 'downstream'", req.path);
    }
    registry::ArtifactRecord a;
    Status s = store->GetArtifact(sha, &a);
    if (!s.ok()) return FromStatus(s, req.path);
    registry::LineageGraph g;
    s = dir == "upstream" ? store->LineageUpstream(sha, &g) : store->LineageDownstream(sha, &g);
    if (!s.ok()) return FromStatus(s, req.path);
    json j = ToJson(g);
    j["root"] = ToJson(a);
    j["direction"] = dir;
    return Ok(j);
  });
  router->Add("GET", "/api/v1/plugins", [ctx](const HttpRequest&) {
    return Ok({{"plugins", ctx.plugins ? ctx.plugins() : json::array()}});
  });
}

}  // namespace mlops::api
