#include "serving/canary_window.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace mlops::serving {
namespace {

int64_t Gain(int64_t before, int64_t after) { return after >= before ? after - before : after; }

std::string Percent(double rate) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", rate * 100);
  return buf;
}

std::string Ms(double ms) {
  if (std::isinf(ms)) return "over the last bucket";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%gms", ms);
  return buf;
}

nlohmann::json FiguresJson(const WindowFigures& f) {
  nlohmann::json j = {{"requests", f.requests},
                      {"errors", f.errors},
                      {"error_rate", f.error_rate},
                      {"shadow_compared", f.shadow_compared},
                      {"shadow_disagreed", f.shadow_disagreed},
                      {"shadow_disagreement", f.shadow_disagreement}};
  j["p99_ms"] = std::isinf(f.p99_ms) ? nlohmann::json("+Inf") : nlohmann::json(f.p99_ms);
  return j;
}

}  // namespace

VersionStats Delta(const VersionStats& before, const VersionStats& after) {
  VersionStats d = after;
  // A reset anywhere means the whole version restarted counting.
  const bool reset = after.requests < before.requests ||
                     after.latency_le_ms != before.latency_le_ms ||
                     after.latency_counts.size() != before.latency_counts.size();
  if (reset) return d;
  d.requests = Gain(before.requests, after.requests);
  d.errors = Gain(before.errors, after.errors);
  d.client_errors = Gain(before.client_errors, after.client_errors);
  d.shadow_compared = Gain(before.shadow_compared, after.shadow_compared);
  d.shadow_disagreed = Gain(before.shadow_disagreed, after.shadow_disagreed);
  for (size_t i = 0; i < d.latency_counts.size(); ++i) {
    d.latency_counts[i] = Gain(before.latency_counts[i], after.latency_counts[i]);
  }
  return d;
}

WindowFigures Figures(const VersionStats& d) {
  WindowFigures f;
  f.requests = d.requests;
  f.errors = d.errors;
  f.error_rate = d.requests > 0 ? static_cast<double>(d.errors) / d.requests : 0;
  f.shadow_compared = d.shadow_compared;
  f.shadow_disagreed = d.shadow_disagreed;
  f.shadow_disagreement =
      d.shadow_compared > 0 ? static_cast<double>(d.shadow_disagreed) / d.shadow_compared : 0;
  f.p99_ms = 0;
  if (d.requests > 0) {
    const double rank = 0.99 * static_cast<double>(d.requests);
    f.p99_ms = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < d.latency_le_ms.size() && i < d.latency_counts.size(); ++i) {
      if (static_cast<double>(d.latency_counts[i]) >= rank) {
        f.p99_ms = d.latency_le_ms[i];
        break;
      }
    }
  }
  return f;
}

WindowVerdict JudgeWindow(const pipeline::CanaryPolicy& policy, const VersionStats& canary,
                          const VersionStats& production) {
  WindowVerdict v;
  v.canary = Figures(canary);
  v.production = Figures(production);
  if (v.canary.requests < policy.min_requests) {
    v.no_decision = "too few requests: the canary answered " + std::to_string(v.canary.requests) +
                    ", the policy asks for " + std::to_string(policy.min_requests);
    return v;
  }
  v.decided = true;
  const double increase = v.canary.error_rate - v.production.error_rate;
  if (increase > policy.max_error_rate_increase) {
    v.breaches.push_back("error rate " + Percent(v.canary.error_rate) + " against production's " +
                         Percent(v.production.error_rate) + " (at most " +
                         Percent(policy.max_error_rate_increase) + " more)");
  }
  // Production's p99 needs production traffic in the window (none at 100%).
  if (v.production.requests > 0 && v.canary.p99_ms > policy.max_p99_latency_ratio * v.production.p99_ms) {
    v.breaches.push_back("p99 latency " + Ms(v.canary.p99_ms) + " against production's " +
                         Ms(v.production.p99_ms) + " (at most x" +
                         std::to_string(policy.max_p99_latency_ratio).substr(0, 4) + ")");
  }
  if (policy.max_shadow_disagreement && v.canary.shadow_compared > 0 &&
      v.canary.shadow_disagreement > *policy.max_shadow_disagreement) {
    v.breaches.push_back("shadow disagreement " + Percent(v.canary.shadow_disagreement) + " of " +
                         std::to_string(v.canary.shadow_compared) + " compared (at most " +
                         Percent(*policy.max_shadow_disagreement) + ")");
  }
  v.breached = !v.breaches.empty();
  return v;
}

std::string VerdictJson(const WindowVerdict& v) {
  nlohmann::json j = {{"decided", v.decided},
                      {"breached", v.breached},
                      {"breaches", v.breaches},
                      {"canary", FiguresJson(v.canary)},
                      {"production", FiguresJson(v.production)}};
  if (!v.no_decision.empty()) j["no_decision"] = v.no_decision;
  return j.dump();
}

}  // namespace mlops::serving
