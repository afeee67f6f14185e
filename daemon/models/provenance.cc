#include "models/provenance.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace mlops::models {

bool IsSecretKey(std::string_view key) {
  std::string lower(key);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* word :
       {"secret", "token", "password", "passwd", "api_key", "apikey", "credential", "private"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

nlohmann::json RedactSecrets(const nlohmann::json& value) {
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
      out[it.key()] = IsSecretKey(it.key()) ? nlohmann::json("[redacted]") : RedactSecrets(*it);
    }
    return out;
  }
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : value) out.push_back(RedactSecrets(v));
    return out;
  }
  return value;
}

Status ProvenanceBuilder::Build(int64_t run_id, const std::vector<NamedDigest>& parents,
                                nlohmann::json* out) const {
  registry::RunRecord run;
  MLOPS_RETURN_IF_ERROR(store_->GetRun(run_id, &run));
  registry::PipelineRecord pipeline;
  MLOPS_RETURN_IF_ERROR(store_->GetPipeline(run.pipeline_id, &pipeline));
  nlohmann::json j;
  j["run_id"] = run.id;
  j["pipeline"] = {{"name", pipeline.name}, {"definition_sha256", pipeline.definition_sha256}};
  j["git_commit"] = run.commit;

  std::vector<registry::DataVersionRecord> data;
  MLOPS_RETURN_IF_ERROR(store_->ListRunDataVersions(run_id, &data));
  j["data_versions"] = nlohmann::json::array();
  for (const auto& d : data) j["data_versions"].push_back({{"path", d.path}, {"sha256", d.sha256}});

  std::vector<registry::StageAttemptRecord> attempts;
  MLOPS_RETURN_IF_ERROR(store_->ListAttempts(run_id, &attempts));
  j["attempts"] = nlohmann::json::array();
  for (const auto& a : attempts) {
    // Params were validated JSON when recorded; anything else is kept out
    // rather than copied raw (it could hold a secret under no key at all).
    nlohmann::json params = nlohmann::json::parse(a.params_json, nullptr, false);
    j["attempts"].push_back({{"stage", a.stage},
                             {"attempt", a.attempt},
                             {"status", registry::ToString(a.status)},
                             {"cache_hit", a.cache_hit},
                             {"plugin",
                              {{"name", a.plugin_name},
                               {"version", a.plugin_version},
                               {"sha256", a.plugin_sha256}}},
                             {"params", params.is_discarded() ? nlohmann::json("[unreadable]")
                                                              : RedactSecrets(params)}});
  }

  j["parent_artifacts"] = nlohmann::json::array();
  for (const auto& [name, sha] : parents) {
    std::set<std::string> upstream;
    registry::LineageGraph g;
    if (store_->LineageUpstream(sha, &g).ok()) {
      for (const auto& art : g.artifacts) {
        if (art.sha256 != sha) upstream.insert(art.sha256);
      }
    }
    j["parent_artifacts"].push_back(
        {{"name", name}, {"sha256", sha}, {"upstream_sha256", std::vector<std::string>(upstream.begin(), upstream.end())}});
  }
  *out = std::move(j);
  return Status::OK();
}

}  // namespace mlops::models
