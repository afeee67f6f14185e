#include "commands_report.h"

#include <iostream>

#include "commands_models.h"
#include "exit_codes.h"
#include "http_client.h"
#include "json_fields.h"
#include "mlops/common/files.h"
#include "pipeline/pipeline_parser.h"
#include "run_reports.h"

namespace mlops::ctl {
namespace {

using nlohmann::json;

int FetchRun(const ApiClient& api, int64_t run_id, json* run) {
  return api.Get("/api/v1/runs/" + std::to_string(run_id), run);
}

// The run's pipeline's stages in file order, when the daemon still has the
// definition the run used; empty otherwise (the report then lists the
// stages that were tried).
std::vector<std::string> StageOrder(const ApiClient& api, const json& run) {
  HttpResult r;
  const std::string path = "/api/v1/pipelines/" + UrlEncode(Str(run, "pipeline"));
  if (HttpCall(api.server(), "GET", path, "", &r, std::chrono::seconds(30), api.token()).ok() &&
      r.status == 200) {
    json p = json::parse(r.body, nullptr, false);
    if (p.is_object() && Int(p, "id") == Int(run, "pipeline_id")) {
      pipeline::Pipeline def;
      std::vector<pipeline::PipelineError> errors;
      if (pipeline::ParsePipeline(Str(p, "definition"), {}, &def, &errors)) {
        std::vector<std::string> names;
        for (const auto& s : def.stages) names.push_back(s.name);
        return names;
      }
    }
  }
  return {};
}

int Write(const std::string& dest, const std::string& text) {
  if (dest == "-") {
    std::cout << text << std::flush;
    return kExitOk;
  }
  Status s = WriteFileAtomic(dest, text, 0644);
  if (!s.ok()) {
    std::cerr << "mlctl: cannot write " << dest << ": " << s.message() << "\n";
    return kExitUsage;
  }
  return kExitOk;
}

// The gates the run's evaluator judged: read from the newest evaluation.json
// an attempt of the run produced (docs/ml/evaluator.md); none when the run
// has no evaluation or its report cannot be read.
std::vector<GateResult> RunGates(const ApiClient& api, const json& run) {
  std::string sha;
  for (const auto& a : run.value("stages", json::array())) {
    for (const auto& e : a.value("artifacts", json::array())) {
      if (Str(e, "kind") == "produced" && Str(e, "name") == "evaluation.json") sha = Str(e, "artifact");
    }
  }
  std::vector<GateResult> gates;
  if (sha.empty()) return gates;
  HttpResult r;
  if (api.Fetch("GET", "/api/v1/artifacts/" + sha + "/content", "", &r) != kExitOk ||
      r.status != 200) {
    return gates;
  }
  const json report = json::parse(r.body, nullptr, false);
  if (!report.is_object() || !report.contains("gates") || !report["gates"].is_array()) return gates;
  for (const auto& g : report["gates"]) {
    if (!g.is_object()) continue;
    gates.push_back(GateResult{Str(g, "gate"), g.value("passed", false), Str(g, "message")});
  }
  return gates;
}

}  // namespace

int ReportJUnit(const ApiClient& api, int64_t run_id, const std::string& dest) {
  json run;
  if (int rc = FetchRun(api, run_id, &run); rc != kExitOk) return rc;
  return Write(dest, JUnitXml(run, StageOrder(api, run), RunGates(api, run)));
}

int ReportMetrics(const ApiClient& api, int64_t run_id, const std::string& dest) {
  json run;
  if (int rc = FetchRun(api, run_id, &run); rc != kExitOk) return rc;
  return Write(dest, OpenMetricsText(run));
}

int ReportDotenv(const ApiClient& api, int64_t run_id, const std::string& dest) {
  json run;
  if (int rc = FetchRun(api, run_id, &run); rc != kExitOk) return rc;
  DotenvFields f;
  f.run_id = Str(run, "id");
  f.run_status = Str(run, "status");
  // The version the model registry registered for this run (empty when
  // the run registered none).
  RegisteredVersion(api, run, &f.model_name, &f.model_version);
  std::string text, error;
  if (!DotenvText(f, &text, &error)) {
    std::cerr << "mlctl: " << error << "\n";
    return kExitUsage;
  }
  return Write(dest, text);
}

}  // namespace mlops::ctl
