#include "serving/canary_policy_json.h"

#include <nlohmann/json.hpp>

namespace mlops::serving {

using nlohmann::json;

std::string CanaryPolicyToJson(const pipeline::CanaryPolicy& p) {
  json j = {{"steps", p.steps},
            {"window_ms", p.window.count()},
            {"min_requests", p.min_requests},
            {"error_rate_increase", p.max_error_rate_increase},
            {"p99_latency_ratio", p.max_p99_latency_ratio},
            {"promote", p.promote}};
  if (p.max_shadow_disagreement) j["shadow_disagreement"] = *p.max_shadow_disagreement;
  return j.dump();
}

Status CanaryPolicyFromJson(const std::string& text, pipeline::CanaryPolicy* out) {
  pipeline::CanaryPolicy p;
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("canary policy: not a JSON object");
  }
  try {
    if (j.contains("steps")) p.steps = j["steps"].get<std::vector<int>>();
    if (j.contains("window_ms")) p.window = std::chrono::milliseconds(j["window_ms"].get<int64_t>());
    if (j.contains("min_requests")) p.min_requests = j["min_requests"].get<int64_t>();
    if (j.contains("error_rate_increase")) {
      p.max_error_rate_increase = j["error_rate_increase"].get<double>();
    }
    if (j.contains("p99_latency_ratio")) p.max_p99_latency_ratio = j["p99_latency_ratio"].get<double>();
    if (j.contains("shadow_disagreement")) {
      p.max_shadow_disagreement = j["shadow_disagreement"].get<double>();
    }
    if (j.contains("promote")) p.promote = j["promote"].get<std::string>();
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("canary policy: ") + e.what());
  }
  bool steps_ok = !p.steps.empty();
  for (size_t i = 0; i < p.steps.size(); ++i) {
    steps_ok = steps_ok && p.steps[i] >= 1 && p.steps[i] <= 100 && (i == 0 || p.steps[i] > p.steps[i - 1]);
  }
  if (!steps_ok) return Status::InvalidArgument("canary policy: steps must increase within 1..100");
  if (p.window < std::chrono::seconds(1)) return Status::InvalidArgument("canary policy: window under 1s");
  if (p.min_requests < 1) return Status::InvalidArgument("canary policy: min_requests under 1");
  if (p.promote != "auto" && p.promote != "manual") {
    return Status::InvalidArgument("canary policy: promote must be auto or manual");
  }
  *out = p;
  return Status::OK();
}

}  // namespace mlops::serving
