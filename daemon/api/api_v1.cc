#include "api/api_v1.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <map>

#include "api/json_body.h"
#include "api/json_response.h"
#include "api/metric_series.h"
#include "api/record_json.h"
#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "pipeline/pipeline_parser.h"

namespace mlops::api {
namespace {

using nlohmann::json;

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

// The run with every attempt, its metrics, its lineage edges and the data
// versions it was linked to: four queries whatever the number of stages.
json RunDetail(registry::Store* store, const registry::RunRecord& run) {
  json j = ToJson(run);
  std::vector<registry::StageAttemptRecord> attempts;
  j["stages"] = json::array();
  if (!store->ListAttempts(run.id, &attempts).ok()) return j;
  std::vector<registry::ArtifactEdge> edges;
  std::vector<std::pair<int64_t, registry::MetricRecord>> metrics;
  (void)store->ListRunEdges(run.id, &edges);
  (void)store->ListRunMetrics(run.id, &metrics);
  // Both lists are ordered by attempt id, as are the attempts.
  size_t e = 0, m = 0;
  for (const auto& a : attempts) {
    json aj = ToJson(a);
    aj["metrics"] = json::array();
    aj["artifacts"] = json::array();
    while (m < metrics.size() && metrics[m].first < a.id) ++m;
    for (; m < metrics.size() && metrics[m].first == a.id; ++m) {
      aj["metrics"].push_back(ToJson(metrics[m].second));
    }
    while (e < edges.size() && edges[e].attempt_id < a.id) ++e;
    for (; e < edges.size() && edges[e].attempt_id == a.id; ++e) {
      aj["artifacts"].push_back(ToJson(edges[e]));
    }
    j["stages"].push_back(std::move(aj));
  }
  j["data_versions"] = json::array();
  std::vector<registry::DataVersionRecord> versions;
  if (store->ListRunDataVersions(run.id, &versions).ok()) {
    for (const auto& dv : versions) {
      j["data_versions"].push_back({{"id", dv.id}, {"path", dv.path}, {"sha256", dv.sha256}});
    }
  }
  return j;
}

// The run and how many of its stages are in each status (by each stage's
// latest attempt), without the stages themselves; with `after_attempt`,
// also the attempts with a larger id, in brief. For polling.
json RunSummary(registry::Store* store, const registry::RunRecord& run, bool with_stages,
                int64_t after_attempt) {
  json j = ToJson(run);
  std::vector<registry::StageAttemptRecord> attempts;
  json counts = json::object();
  json stages = json::array();
  if (store->ListAttempts(run.id, &attempts).ok()) {
    std::map<std::string, const registry::StageAttemptRecord*> latest;
    for (const auto& a : attempts) {
      latest[a.stage] = &a;  // ordered by id: the last one wins
      if (with_stages && a.id > after_attempt) {
        stages.push_back({{"id", a.id},
                          {"stage", a.stage},
                          {"attempt", a.attempt},
                          {"status", registry::ToString(a.status)},
                          {"cache_hit", a.cache_hit},
                          {"error", a.error},
                          {"started_ms", a.started_ms},
                          {"finished_ms", a.finished_ms}});
      }
    }
    for (const auto& [stage, a] : latest) {
      const char* status = registry::ToString(a->status);
      counts[status] = counts.value(status, 0) + 1;
    }
  }
  j["stage_counts"] = std::move(counts);
  if (with_stages) j["stages"] = std::move(stages);
  return j;
}

// What the dashboard draws of a pipeline's recorded definition: each stage
// with its plugin and the stages it needs, in file order, and its triggers
// (docs/dashboard.md). Nothing is added when the definition no longer parses.
void AddStageGraph(const std::string& definition, json* j) {
  pipeline::Pipeline p;
  std::vector<pipeline::PipelineError> errors;
  if (!pipeline::ParsePipeline(definition, {}, &p, &errors)) return;
  json stages = json::array();
  for (const auto& st : p.stages) {
    stages.push_back({{"name", st.name}, {"uses", st.uses}, {"needs", st.needs}});
  }
  (*j)["stages"] = std::move(stages);
  json on = {{"git_branches", p.on.git_branches}, {"data", p.on.data_paths}};
  // The parser refuses on.drift until the daemon acts on it, so a stored
  // definition parses only without one.
  on["drift"] = nullptr;
  (*j)["on"] = std::move(on);
}

// GET /api/v1/runs/{id}/metrics: without `key`, each (stage, attempt, key)
// series of the run with its number of points and last value; with `key`,
// that key's series bucketed to at most `max_points` (1..1500, default
// 1500) points of [step, last, min, max] (metric_series.h).
HttpResponse RunMetrics(registry::Store* store, const HttpRequest& req, int64_t id) {
  registry::RunRecord run;
  Status s = store->GetRun(id, &run);
  if (!s.ok()) return FromStatus(s, req.path);
  const int64_t source = run.results_run_id != 0 ? run.results_run_id : id;
  const std::string key = req.Query("key");
  const std::string max_q = req.Query("max_points", "1500");
  int64_t max_points = 0;
  if (!ParseId(max_q, &max_points) || max_points > 1500) {
    return HttpResponse::Problem(400, "max_points must be an integer in 1..1500, got '" + max_q + "'",
                                 req.path);
  }
  std::vector<registry::StageAttemptRecord> attempts;
  std::vector<std::pair<int64_t, registry::MetricRecord>> metrics;
  if (s = store->ListAttempts(source, &attempts); !s.ok()) return FromStatus(s, req.path);
  if (s = store->ListRunMetrics(source, &metrics); !s.ok()) return FromStatus(s, req.path);
  std::map<int64_t, const registry::StageAttemptRecord*> by_id;
  for (const auto& a : attempts) by_id[a.id] = &a;
  // (attempt id, key) -> points, in attempt order.
  std::map<std::pair<int64_t, std::string>, std::vector<registry::MetricRecord>> series;
  for (const auto& [attempt_id, m] : metrics) {
    if (key.empty() || m.key == key) series[{attempt_id, m.key}].push_back(m);
  }
  json out = json::array();
  for (auto& [where, points] : series) {
    auto a = by_id.find(where.first);
    json j = {{"stage", a == by_id.end() ? "" : a->second->stage},
              {"attempt", a == by_id.end() ? 0 : a->second->attempt},
              {"key", where.second},
              {"total_points", points.size()}};
    if (key.empty()) {
      j["last"] = points.back().value;
    } else {
      json pts = json::array();
      for (const MetricBucket& b : BucketSeries(std::move(points), static_cast<int>(max_points))) {
        pts.push_back({b.step, b.last, b.min, b.max});
      }
      j["points"] = std::move(pts);
    }
    out.push_back(std::move(j));
  }
  return Ok({{"run_id", id}, {"source_run_id", source}, {"series", out}});
}

}  // namespace

void AddApiV1Routes(const ApiContext& ctx, Router* router) {
  registry::Store* store = ctx.store;

  router->Add("GET", "/healthz", [](const HttpRequest&) {
    return Ok({{"status", "ok"}});
  });
  router->Add("GET", "/readyz", [ctx](const HttpRequest& req) {
    if (!ctx.ready || !ctx.ready->load()) {
      return HttpResponse::Problem(503, "recovering state; not ready yet", req.path);
    }
    // Not ready while the registry refuses writes: runs that ended are not
    // recorded yet (docs/operations.md, "Registry write stalls").
    if (ctx.scheduler) {
      scheduler::SchedulerStats st = ctx.scheduler->Stats();
      if (st.registry_stalled_since_ms != 0) {
        return HttpResponse::Problem(
            503,
            "registry writes are failing; " + std::to_string(st.unrecorded_runs) +
                " run record(s) wait to be written; retrying: " + st.registry_error,
            req.path);
      }
    }
    return Ok({{"status", "ready"}});
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
    json j = ToJson(p, true);
    AddStageGraph(p.definition, &j);
    return Ok(j);
  });
  router->Add("POST", "/api/v1/pipelines/reload", [ctx](const HttpRequest& req) {
    json body;
    HttpResponse bad;
    if (!ParseBody(req, {}, &body, &bad)) return bad;
    if (!ctx.reload_pipelines) return HttpResponse::Problem(503, "no pipeline folders", req.path);
    Status s = ctx.reload_pipelines();
    if (!s.ok()) return FromStatus(s, req.path);
    return Ok({{"status", "reloaded"}});
  });
  router->Add("POST", "/api/v1/pipelines/{name}/runs", [ctx](const HttpRequest& req) {
    json body;
    HttpResponse bad;
    scheduler::RunRequest r;
    r.pipeline = req.path_params.at("name");
    r.trigger = "manual";
    r.reason = "triggered through the API";
    if (!ParseBody(req, {"force", "reason", "commit"}, &body, &bad) ||
        !BoolField(body, "force", false, &r.force, req, &bad) ||
        !StringField(body, "reason", false, &r.reason, req, &bad) ||
        !StringField(body, "commit", false, &r.commit, req, &bad)) {
      return bad;
    }
    int64_t id = 0;
    registry::RunRecord run;
    Status s = ctx.scheduler->Submit(r, &id, &run);
    if (!s.ok()) return FromStatus(s, req.path);
    // The run as recorded: "queued", or already "succeeded" when it was up
    // to date (results_run_id then names the run whose results stand).
    HttpResponse resp = Ok(ToJson(run), 201);
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
  router->Add("GET", "/api/v1/runs/{id}", [store, ctx](const HttpRequest& req) {
    int64_t id;
    if (!ParseId(req.path_params.at("id"), &id)) return BadId(req, "run id", req.path_params.at("id"));
    const std::string view = req.Query("view", "full");
    if (view != "full" && view != "summary") {
      return HttpResponse::Problem(400, "view must be 'full' or 'summary', got '" + view + "'",
                                   req.path);
    }
    int64_t after = 0;
    const std::string after_q = req.Query("after_attempt");
    if (!after_q.empty() && after_q != "0" && !ParseId(after_q, &after)) {
      return BadId(req, "after_attempt", after_q);
    }
    // wait_ms: a long poll. The answer comes when the run has ended or
    // after that long (at most kMaxWaitMs), whichever is first.
    int64_t wait_ms = 0;
    const std::string wait_q = req.Query("wait_ms");
    if (!wait_q.empty() && wait_q != "0" && !ParseId(wait_q, &wait_ms)) {
      return BadId(req, "wait_ms", wait_q);
    }
    constexpr int64_t kMaxWaitMs = 1000;
    wait_ms = std::min(wait_ms, kMaxWaitMs);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    registry::RunRecord run;
    for (;;) {
      // Read the count before the run, so that an end in between is not missed.
      const uint64_t ended = ctx.scheduler ? ctx.scheduler->RunsEnded() : 0;
      Status s = store->GetRun(id, &run);
      if (!s.ok()) return FromStatus(s, req.path);
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (registry::IsTerminal(run.status) || run.status == registry::RunStatus::kInterrupted ||
          ctx.scheduler == nullptr || left.count() <= 0) {
        break;
      }
      ctx.scheduler->WaitRunsEnded(ended, left);
    }
    if (view == "summary") return Ok(RunSummary(store, run, !after_q.empty(), after));
    return Ok(RunDetail(store, run));
  });
  router->Add("GET", "/api/v1/runs/{id}/metrics", [store](const HttpRequest& req) {
    int64_t id;
    if (!ParseId(req.path_params.at("id"), &id)) return BadId(req, "run id", req.path_params.at("id"));
    return RunMetrics(store, req, id);
  });
  router->Add("POST", "/api/v1/runs/{id}/cancel", [ctx](const HttpRequest& req) {
    int64_t id;
    if (!ParseId(req.path_params.at("id"), &id)) return BadId(req, "run id", req.path_params.at("id"));
    json body;
    HttpResponse bad;
    if (!ParseBody(req, {}, &body, &bad)) return bad;
    Status s = ctx.scheduler->Cancel(id);
    if (!s.ok()) return FromStatus(s, req.path);
    return Ok({{"id", id}, {"status", "cancelling"}}, 202);
  });
  router->Add("GET", "/api/v1/runs/{id}/logs/{stage}", [store](const HttpRequest& req) {
    int64_t id;
    if (!ParseId(req.path_params.at("id"), &id)) return BadId(req, "run id", req.path_params.at("id"));
    // A run found up to date has no attempts: its logs are those of the run
    // whose results stand for it.
    registry::RunRecord run;
    Status rs = store->GetRun(id, &run);
    if (!rs.ok()) return FromStatus(rs, req.path);
    if (run.results_run_id != 0) id = run.results_run_id;
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
      if (!in && found->status != registry::AttemptStatus::kRunning && !PathExists(found->log_path)) {
        return HttpResponse::Problem(410, "the log of run " + std::to_string(id) + " stage '" + stage +
                                              "' attempt " + std::to_string(found->attempt) +
                                              " was removed by retention (docs/operations.md)",
                                     req.path);
      }
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
    // The data versions the runs involved were made from.
    j["data_versions"] = json::array();
    std::set<int64_t> seen;
    for (const auto& r : g.runs) {
      std::vector<registry::DataVersionRecord> versions;
      if (!store->ListRunDataVersions(r.id, &versions).ok()) continue;
      for (const auto& dv : versions) {
        if (!seen.insert(dv.id).second) continue;
        j["data_versions"].push_back({{"id", dv.id}, {"path", dv.path}, {"sha256", dv.sha256},
                                      {"run_id", r.id}});
      }
    }
    return Ok(j);
  });
  router->Add("GET", "/api/v1/plugins", [ctx](const HttpRequest&) {
    return Ok({{"plugins", ctx.plugins ? ctx.plugins() : json::array()}});
  });
}

}  // namespace mlops::api
