#include "serving/shared/serve_stats.h"

#include <nlohmann/json.hpp>

#include "mlops/common/files.h"

namespace mlops::serving {
namespace {

using nlohmann::json;

json VersionToJson(const VersionStats& v) {
  return json{{"state", v.state},
              {"reason", v.reason},
              {"artifact_sha256", v.artifact_sha256},
              {"key_id", v.key_id},
              {"requests", v.requests},
              {"errors", v.errors},
              {"client_errors", v.client_errors},
              {"latency_le_ms", v.latency_le_ms},
              {"latency_counts", v.latency_counts},
              {"shadow_compared", v.shadow_compared},
              {"shadow_disagreed", v.shadow_disagreed}};
}

// Reads j[key] into *out when present, failing with the field's path when it
// has another type.
template <typename T>
void Field(const json& j, const char* key, const std::string& where, T* out) {
  auto it = j.find(key);
  if (it == j.end()) return;
  try {
    *out = it->get<T>();
  } catch (const json::exception&) {
    throw std::runtime_error(where + "." + key + " has the wrong type");
  }
}

void ParseVersion(const json& j, const std::string& where, VersionStats* v) {
  if (!j.is_object()) throw std::runtime_error(where + " is not an object");
  Field(j, "state", where, &v->state);
  Field(j, "reason", where, &v->reason);
  Field(j, "artifact_sha256", where, &v->artifact_sha256);
  Field(j, "key_id", where, &v->key_id);
  Field(j, "requests", where, &v->requests);
  Field(j, "errors", where, &v->errors);
  Field(j, "client_errors", where, &v->client_errors);
  Field(j, "latency_le_ms", where, &v->latency_le_ms);
  Field(j, "latency_counts", where, &v->latency_counts);
  Field(j, "shadow_compared", where, &v->shadow_compared);
  Field(j, "shadow_disagreed", where, &v->shadow_disagreed);
  if (!v->latency_counts.empty() && v->latency_counts.size() != v->latency_le_ms.size() + 1) {
    throw std::runtime_error(where + ".latency_counts needs one count per bound and one for +Inf");
  }
}

}  // namespace

const std::vector<double>& LatencyBoundsMs() {
  static const std::vector<double> kBounds = {0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000};
  return kBounds;
}

std::string ServeStatsPath(const std::string& state_dir) {
  return JoinPath(JoinPath(state_dir, "serving"), "stats.json");
}

std::string ServeAddrPath(const std::string& state_dir) {
  return JoinPath(state_dir, "mlops-serve.addr");
}

std::string ServeStatsToJson(const ServeStats& stats) {
  json models = json::object();
  for (const auto& [name, m] : stats.models) {
    json versions = json::object();
    for (const auto& [v, vs] : m.versions) versions[std::to_string(v)] = VersionToJson(vs);
    models[name] = json{{"production", m.production},
                        {"canary", m.canary},
                        {"canary_share_percent", m.canary_share_percent},
                        {"versions", std::move(versions)}};
  }
  json j{{"format", stats.format},       {"pid", stats.pid},
         {"started_ms", stats.started_ms}, {"written_ms", stats.written_ms},
         {"listen", stats.listen},         {"models", std::move(models)}};
  return j.dump();
}

Status ParseServeStats(std::string_view text, ServeStats* out) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::InvalidArgument("serve stats: not a JSON object");
  ServeStats s;
  try {
    Field(j, "format", "stats", &s.format);
    if (s.format != kServeStatsFormat) {
      return Status::InvalidArgument("serve stats: format " + std::to_string(s.format) +
                                     " is not the known " + std::to_string(kServeStatsFormat));
    }
    Field(j, "pid", "stats", &s.pid);
    Field(j, "started_ms", "stats", &s.started_ms);
    Field(j, "written_ms", "stats", &s.written_ms);
    Field(j, "listen", "stats", &s.listen);
    const json models = j.value("models", json::object());
    if (!models.is_object()) return Status::InvalidArgument("serve stats: models is not an object");
    for (const auto& [name, m] : models.items()) {
      const std::string where = "models." + name;
      if (!m.is_object()) throw std::runtime_error(where + " is not an object");
      ModelStats& ms = s.models[name];
      Field(m, "production", where, &ms.production);
      Field(m, "canary", where, &ms.canary);
      Field(m, "canary_share_percent", where, &ms.canary_share_percent);
      const json versions = m.value("versions", json::object());
      for (const auto& [v, vj] : versions.items()) {
        char* end = nullptr;
        const long long n = std::strtoll(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || n <= 0) {
          throw std::runtime_error(where + ".versions has a key that is not a version: " + v);
        }
        ParseVersion(vj, where + ".versions." + v, &ms.versions[n]);
      }
    }
  } catch (const std::runtime_error& e) {
    return Status::InvalidArgument(std::string("serve stats: ") + e.what());
  }
  *out = std::move(s);
  return Status::OK();
}

Status WriteServeStats(const std::string& state_dir, const ServeStats& stats) {
  MLOPS_RETURN_IF_ERROR(MakeDirs(JoinPath(state_dir, "serving"), 0755));
  return WriteFileAtomic(ServeStatsPath(state_dir), ServeStatsToJson(stats), 0644);
}

Status ReadServeStats(const std::string& state_dir, ServeStats* out) {
  std::string text;
  MLOPS_RETURN_IF_ERROR(ReadFile(ServeStatsPath(state_dir), &text));
  return ParseServeStats(text, out);
}

}  // namespace mlops::serving
