#include "serving/stats_file.h"

#include <nlohmann/json.hpp>

#include "mlops/common/files.h"

namespace mlops::serving {
namespace {

using nlohmann::json;

// get<T>() of `j[key]`, or InvalidArgument naming `where.key`; a missing key
// leaves *out as it is.
template <typename T>
Status Field(const json& j, const char* key, const std::string& where, T* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Status::OK();
  try {
    *out = it->get<T>();
  } catch (const json::exception&) {
    return Status::InvalidArgument("stats.json: '" + where + key + "' has the wrong type");
  }
  return Status::OK();
}

Status ParseVersion(const json& j, const std::string& where, VersionCounters* v) {
  if (!j.is_object()) return Status::InvalidArgument("stats.json: '" + where + "' is not an object");
  const std::string w = where + ".";
  MLOPS_RETURN_IF_ERROR(Field(j, "state", w, &v->state));
  MLOPS_RETURN_IF_ERROR(Field(j, "reason", w, &v->reason));
  MLOPS_RETURN_IF_ERROR(Field(j, "requests", w, &v->requests));
  MLOPS_RETURN_IF_ERROR(Field(j, "errors", w, &v->errors));
  MLOPS_RETURN_IF_ERROR(Field(j, "client_errors", w, &v->client_errors));
  MLOPS_RETURN_IF_ERROR(Field(j, "latency_le_ms", w, &v->latency_le_ms));
  MLOPS_RETURN_IF_ERROR(Field(j, "latency_counts", w, &v->latency_counts));
  MLOPS_RETURN_IF_ERROR(Field(j, "shadow_compared", w, &v->shadow_compared));
  return Field(j, "shadow_disagreed", w, &v->shadow_disagreed);
}

Status ParseModel(const json& j, const std::string& where, ModelServing* m) {
  if (!j.is_object()) return Status::InvalidArgument("stats.json: '" + where + "' is not an object");
  const std::string w = where + ".";
  MLOPS_RETURN_IF_ERROR(Field(j, "production", w, &m->production));
  MLOPS_RETURN_IF_ERROR(Field(j, "canary", w, &m->canary));
  MLOPS_RETURN_IF_ERROR(Field(j, "canary_share_percent", w, &m->canary_share_percent));
  auto versions = j.find("versions");
  if (versions == j.end()) return Status::OK();
  if (!versions->is_object()) {
    return Status::InvalidArgument("stats.json: '" + w + "versions' is not an object");
  }
  for (const auto& [key, value] : versions->items()) {
    char* end = nullptr;
    const long long n = std::strtoll(key.c_str(), &end, 10);
    if (key.empty() || *end != '\0' || n <= 0) {
      return Status::InvalidArgument("stats.json: '" + w + "versions' has key '" + key +
                                     "', expected a version number");
    }
    MLOPS_RETURN_IF_ERROR(ParseVersion(value, w + "versions." + key, &m->versions[n]));
  }
  return Status::OK();
}

}  // namespace

std::string StatsPath(const std::string& state_dir) {
  return JoinPath(JoinPath(state_dir, "serving"), "stats.json");
}

Status ParseStats(const std::string& text, StatsSnapshot* out) {
  *out = StatsSnapshot{};
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("stats.json: not a JSON object");
  }
  int format = 0;
  MLOPS_RETURN_IF_ERROR(Field(j, "format", "", &format));
  if (format != 1) {
    return Status::InvalidArgument("stats.json: format " + std::to_string(format) +
                                   " is not the one this mlopsd reads (1)");
  }
  MLOPS_RETURN_IF_ERROR(Field(j, "pid", "", &out->pid));
  MLOPS_RETURN_IF_ERROR(Field(j, "started_ms", "", &out->started_ms));
  MLOPS_RETURN_IF_ERROR(Field(j, "written_ms", "", &out->written_ms));
  MLOPS_RETURN_IF_ERROR(Field(j, "listen", "", &out->listen));
  auto models = j.find("models");
  if (models == j.end()) return Status::OK();
  if (!models->is_object()) return Status::InvalidArgument("stats.json: 'models' is not an object");
  for (const auto& [name, value] : models->items()) {
    MLOPS_RETURN_IF_ERROR(ParseModel(value, "models." + name, &out->models[name]));
  }
  return Status::OK();
}

Status ReadStats(const std::string& path, StatsSnapshot* out) {
  std::string text;
  Status s = ReadFile(path, &text);
  if (!s.ok()) return s;
  return ParseStats(text, out);
}

}  // namespace mlops::serving
