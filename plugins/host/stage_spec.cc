#include "stage_spec.h"

#include <nlohmann/json.hpp>

namespace mlops::host {

bool ParseStageSpec(const std::string& text, StageSpec* spec, std::string* error) {
  using nlohmann::json;
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    *error = "spec is not a JSON object";
    return false;
  }
  try {
    spec->attempt_id = doc.value("attempt_id", int64_t{0});
    spec->params_json = doc.value("params_json", std::string("{}"));
    spec->work_dir = doc.at("work_dir").get<std::string>();
    spec->scratch_dir = doc.value("scratch_dir", std::string());
    spec->kill_grace_ms = doc.value("kill_grace_ms", int64_t{5000});
    spec->memory_limit_bytes = doc.value("memory_limit_bytes", int64_t{0});
    spec->cgroup = doc.value("cgroup", std::string());
    if (doc.contains("inputs")) {
      for (const json& in : doc.at("inputs")) {
        spec->inputs.push_back({in.at("name").get<std::string>(), in.at("path").get<std::string>()});
      }
    }
    if (doc.contains("env")) {
      for (const auto& [key, value] : doc.at("env").items()) {
        spec->env[key] = value.get<std::string>();
      }
    }
  } catch (const json::exception& e) {
    *error = std::string("bad spec: ") + e.what();
    return false;
  }
  if (spec->kill_grace_ms < 0 || spec->memory_limit_bytes < 0) {
    *error = "bad spec: kill_grace_ms and memory_limit_bytes must not be negative";
    return false;
  }
  if (spec->work_dir.empty() || spec->work_dir[0] != '/') {
    *error = "bad spec: work_dir must be an absolute path";
    return false;
  }
  return true;
}

}  // namespace mlops::host
