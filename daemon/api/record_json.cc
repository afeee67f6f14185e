#include "api/record_json.h"

namespace mlops::api {

using nlohmann::json;

json ToJson(const registry::PipelineRecord& p, bool with_definition) {
  json j = {{"id", p.id},
            {"name", p.name},
            {"definition_sha256", p.definition_sha256},
            {"source_dir", p.source_dir},
            {"created_ms", p.created_ms}};
  if (with_definition) j["definition"] = p.definition;
  return j;
}

json ToJson(const registry::RunRecord& r) {
  return {{"id", r.id},
          {"pipeline_id", r.pipeline_id},
          {"pipeline", r.pipeline_name},
          {"trigger", r.trigger},
          {"reason", r.reason},
          {"commit", r.commit},
          {"force", r.force},
          {"status", registry::ToString(r.status)},
          {"error", r.error},
          {"queued_ms", r.queued_ms},
          {"started_ms", r.started_ms},
          {"finished_ms", r.finished_ms},
          {"recovery_count", r.recovery_count},
          {"fingerprint", r.fingerprint},
          // A run found up to date: the run whose stages and artifacts stand
          // for it (it has none of its own). null otherwise.
          {"results_run_id", r.results_run_id != 0 ? json(r.results_run_id) : json(nullptr)}};
}

json ToJson(const registry::StageAttemptRecord& a) {
  json params = json::parse(a.params_json, nullptr, false);
  if (params.is_discarded()) params = a.params_json;
  json j = {{"id", a.id},
            {"run_id", a.run_id},
            {"stage", a.stage},
            {"attempt", a.attempt},
            {"plugin", {{"name", a.plugin_name}, {"version", a.plugin_version},
                        {"sha256", a.plugin_sha256}}},
            {"params", params},
            {"cache_key", a.cache_key},
            {"status", registry::ToString(a.status)},
            {"exit_code", a.exit_code},
            {"signal", a.signal},
            {"cache_hit", a.cache_hit},
            {"reason", a.reason},
            {"error", a.error},
            {"log_path", a.log_path},
            {"host", a.host},
            {"started_ms", a.started_ms},
            {"finished_ms", a.finished_ms}};
  return j;
}

json ToJson(const registry::ArtifactRecord& a) {
  return {{"sha256", a.sha256}, {"size", a.size}, {"media_type", a.media_type},
          {"created_ms", a.created_ms}};
}

json ToJson(const registry::ArtifactEdge& e) {
  return {{"attempt_id", e.attempt_id}, {"artifact", e.artifact_sha256},
          {"kind", registry::ToString(e.kind)}, {"name", e.name}};
}

json ToJson(const registry::MetricRecord& m) {
  return {{"key", m.key}, {"value", m.value}, {"step", m.step}, {"time_ms", m.time_ms}};
}

json ToJson(const registry::LineageGraph& g) {
  json j = {{"runs", json::array()}, {"attempts", json::array()},
            {"artifacts", json::array()}, {"edges", json::array()}};
  for (const auto& r : g.runs) j["runs"].push_back(ToJson(r));
  for (const auto& a : g.attempts) j["attempts"].push_back(ToJson(a));
  for (const auto& a : g.artifacts) j["artifacts"].push_back(ToJson(a));
  for (const auto& e : g.edges) j["edges"].push_back(ToJson(e));
  return j;
}

}  // namespace mlops::api
