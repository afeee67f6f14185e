#include <fstream>
#include <iostream>
#include <set>

#include "commands.h"
#include "exit_codes.h"
#include "json_fields.h"
#include "lineage_dot.h"
#include "mlops/common/sha256.h"
#include "pipeline/pipeline_parser.h"
#include "table.h"

namespace mlops::ctl {

using nlohmann::json;

namespace {

bool CheckSha(const std::string& sha) {
  if (IsSha256Hex(sha)) return true;
  std::cerr << "mlctl: '" << sha << "' is not an artifact id (64 lower-case hex digits)\n";
  return false;
}

}  // namespace

int PipelineValidate(const std::vector<std::string>& files, const std::vector<std::string>& plugins,
                     const Output& out) {
  std::set<std::string> known = {"exec", "trainer", "tuner", "evaluator", "quantizer", "signer"};
  known.insert(plugins.begin(), plugins.end());
  int rc = kExitOk;
  json report = json::array();
  for (const auto& file : files) {
    pipeline::ParseOptions opts;
    opts.known_plugins = known;
    pipeline::Pipeline p;
    std::vector<pipeline::PipelineError> errors;
    const bool ok = pipeline::ParsePipelineFile(file, opts, &p, &errors);
    json entry = {{"file", file}, {"valid", ok}, {"errors", json::array()}};
    for (const auto& e : errors) {
      entry["errors"].push_back({{"line", e.pos.line}, {"column", e.pos.column},
                                 {"message", e.message}, {"text", e.ToString()}});
      if (!out.json) std::cerr << e.ToString() << "\n";
    }
    if (ok) {
      entry["pipeline"] = p.name;
      entry["stages"] = p.stages.size();
      if (!out.json) {
        std::cout << file << ": ok (pipeline " << p.name << ", " << p.stages.size()
                  << (p.stages.size() == 1 ? " stage)\n" : " stages)\n");
      }
    } else {
      rc = kExitRunFailed;
    }
    report.push_back(entry);
  }
  if (out.json) std::cout << report.dump(2) << "\n";
  return rc;
}

int PipelineList(const ApiClient& api, const Output& out) {
  json resp;
  int rc = api.Get("/api/v1/pipelines", &resp);
  if (rc != kExitOk) return rc;
  if (out.json) {
    std::cout << resp.dump(2) << "\n";
    return kExitOk;
  }
  Table t({"NAME", "DEFINITION", "SOURCE", "REGISTERED"});
  for (const auto& p : resp["pipelines"]) {
    t.Add({Str(p, "name"), Str(p, "definition_sha256").substr(0, 12), Str(p, "source_dir"),
           FormatTime(p.value("created_ms", int64_t{0}))});
  }
  t.Print(std::cout);
  return kExitOk;
}

int PipelineShow(const ApiClient& api, const std::string& name, const Output& out) {
  json resp;
  int rc = api.Get("/api/v1/pipelines/" + UrlEncode(name), &resp);
  if (rc != kExitOk) return rc;
  if (out.json) std::cout << resp.dump(2) << "\n";
  else std::cout << "# " << Str(resp, "name") << " sha256:" << Str(resp, "definition_sha256")
                 << "\n" << Str(resp, "definition");
  return kExitOk;
}

int PipelineReload(const ApiClient& api, const Output& out) {
  json resp;
  int rc = api.Post("/api/v1/pipelines/reload", json::object(), &resp);
  if (rc != kExitOk) return rc;
  if (out.json) std::cout << resp.dump() << "\n";
  else std::cout << "pipelines " << Str(resp, "status") << "\n";
  return kExitOk;
}

int Lineage(const ApiClient& api, const std::string& sha, bool downstream,
            const std::string& format, const Output& out) {
  if (!CheckSha(sha)) return kExitUsage;
  json g;
  int rc = api.Get("/api/v1/lineage/" + sha + "?direction=" + (downstream ? "downstream" : "upstream"), &g);
  if (rc != kExitOk) return rc;
  if (format == "dot") {
    std::cout << LineageDot(g, sha);
    return kExitOk;
  }
  if (out.json || format == "json") {
    std::cout << g.dump(2) << "\n";
    return kExitOk;
  }
  std::map<int64_t, json> attempts;
  for (const auto& a : g["attempts"]) attempts[a["id"].get<int64_t>()] = a;
  std::cout << (downstream ? "downstream of " : "upstream of ") << sha << "\n\n";
  Table t({"RUN", "STAGE", "ATTEMPT", "PLUGIN", "EDGE", "NAME", "ARTIFACT"});
  for (const auto& e : g["edges"]) {
    const json& a = attempts[e["attempt_id"].get<int64_t>()];
    t.Add({Str(a, "run_id"), Str(a, "stage"), Str(a, "attempt"),
           a.contains("plugin") ? Str(a["plugin"], "name") : "", Str(e, "kind"), Str(e, "name"),
           Str(e, "artifact").substr(0, 16)});
  }
  t.Print(std::cout);
  if (g.contains("data_versions") && !g["data_versions"].empty()) {
    std::cout << "\ndata versions:";
    for (const auto& dv : g["data_versions"]) {
      std::cout << " " << Str(dv, "id") << " (" << Str(dv, "path") << " @ "
                << Str(dv, "sha256").substr(0, 12) << ", run " << Str(dv, "run_id") << ")";
    }
    std::cout << "\n";
  }
  std::cout << "\nruns:";
  for (const auto& r : g["runs"]) {
    std::cout << " " << Str(r, "id") << " (" << Str(r, "pipeline") << ", " << Str(r, "status");
    if (!Str(r, "commit").empty()) std::cout << ", commit " << Str(r, "commit").substr(0, 12);
    std::cout << ")";
  }
  std::cout << "\n";
  return kExitOk;
}

int ArtifactsList(const ApiClient& api, int limit, const Output& out) {
  json resp;
  int rc = api.Get("/api/v1/artifacts?limit=" + std::to_string(limit), &resp);
  if (rc != kExitOk) return rc;
  if (out.json) {
    std::cout << resp.dump(2) << "\n";
    return kExitOk;
  }
  Table t({"SHA256", "SIZE", "MEDIA TYPE", "CREATED"});
  for (const auto& a : resp["artifacts"]) {
    t.Add({Str(a, "sha256"), Str(a, "size"), Str(a, "media_type"),
           FormatTime(a.value("created_ms", int64_t{0}))});
  }
  t.Print(std::cout);
  return kExitOk;
}

int ArtifactsShow(const ApiClient& api, const std::string& sha, const Output& out) {
  if (!CheckSha(sha)) return kExitUsage;
  json a;
  int rc = api.Get("/api/v1/artifacts/" + sha, &a);
  if (rc != kExitOk) return rc;
  if (out.json) std::cout << a.dump(2) << "\n";
  else std::cout << "sha256: " << Str(a, "sha256") << "\nsize: " << Str(a, "size")
                 << "\nmedia type: " << Str(a, "media_type") << "\ncreated: "
                 << FormatTime(a.value("created_ms", int64_t{0})) << "\n";
  return kExitOk;
}

int ArtifactsGet(const ApiClient& api, const std::string& sha, const std::string& dest) {
  if (!CheckSha(sha)) return kExitUsage;
  HttpResult r;
  int rc = api.Call("GET", "/api/v1/artifacts/" + sha + "/content", "", &r);
  if (rc != kExitOk) return rc;
  if (Sha256Hex(r.body) != sha) {
    std::cerr << "mlctl: downloaded content does not match " << sha << "\n";
    return kExitApiError;
  }
  if (dest == "-") {
    std::cout << r.body;
    return kExitOk;
  }
  std::ofstream f(dest, std::ios::binary);
  f << r.body;
  if (!f) {
    std::cerr << "mlctl: cannot write " << dest << "\n";
    return kExitUsage;
  }
  return kExitOk;
}

int PluginsList(const ApiClient& api, const Output& out) {
  json resp;
  int rc = api.Get("/api/v1/plugins", &resp);
  if (rc != kExitOk) return rc;
  if (out.json) {
    std::cout << resp.dump(2) << "\n";
    return kExitOk;
  }
  Table t({"NAME", "VERSION", "SHA256", "PATH", "ERROR"});
  for (const auto& p : resp["plugins"]) {
    t.Add({Str(p, "name"), Str(p, "version"), Str(p, "sha256").substr(0, 12), Str(p, "path"),
           Str(p, "error")});
  }
  t.Print(std::cout);
  return kExitOk;
}

}  // namespace mlops::ctl
