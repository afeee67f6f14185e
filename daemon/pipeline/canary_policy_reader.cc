#include "pipeline/canary_policy_reader.h"

#include <cmath>
#include <string>

#include "pipeline/yaml_scalar.h"

namespace mlops::pipeline::internal {
namespace {

const std::vector<std::string_view> kCanaryKeys = {"steps", "window", "min_requests", "limits",
                                                   "promote"};
const std::vector<std::string_view> kLimitKeys = {"error_rate_increase", "p99_latency_ratio",
                                                  "shadow_disagreement"};

// A number in [min, max]; records "<what>: expected <expected>, got ...".
bool ReadNumber(YamlReader& r, const MapEntry& e, const std::string& what, double min, double max,
                const std::string& expected, double* out) {
  double value = 0;
  if (e.value.IsScalar() && ParseCoreNumber(e.value, &value) && std::isfinite(value) &&
      value >= min && value <= max) {
    *out = value;
    return true;
  }
  return r.TypeError(e, what, expected);
}

void ReadSteps(YamlReader& r, const MapEntry& e, const std::string& what, std::vector<int>* out) {
  if (!e.value.IsSequence() || e.value.size() == 0) {
    r.TypeError(e, what, "a list of percentages such as [10, 50, 100]");
    return;
  }
  std::vector<int> steps;
  for (const YAML::Node& item : e.value) {
    const MapEntry step{e.key, e.key_node, item};
    int64_t percent = 0;
    if (!r.ReadInt(step, what + " step", 1, 100, &percent)) return;
    if (!steps.empty() && percent <= steps.back()) {
      r.Error(YamlReader::Pos(item), what + ": each step must be above the one before (" +
                                         std::to_string(percent) + " after " +
                                         std::to_string(steps.back()) + ")");
      return;
    }
    steps.push_back(static_cast<int>(percent));
  }
  *out = std::move(steps);
}

void ReadLimits(YamlReader& r, const MapEntry& e, const std::string& what, CanaryPolicy* out) {
  if (!r.ReadMap(e, what)) return;
  for (const MapEntry& limit : r.Entries(e.value, kLimitKeys, "in " + what)) {
    const std::string limit_what = "'model.promote.canary.limits." + limit.key + "'";
    double value = 0;
    if (limit.key == "error_rate_increase") {
      if (ReadNumber(r, limit, limit_what, 0, 1, "a fraction from 0 to 1 (0.01 = 1 point)",
                     &value)) {
        out->max_error_rate_increase = value;
      }
    } else if (limit.key == "p99_latency_ratio") {
      if (ReadNumber(r, limit, limit_what, 1, 1000, "a factor from 1 to 1000", &value)) {
        out->max_p99_latency_ratio = value;
      }
    } else if (ReadNumber(r, limit, limit_what, 0, 1, "a fraction from 0 to 1", &value)) {
      out->max_shadow_disagreement = value;
    }
  }
}

}  // namespace

void ReadCanaryPolicy(YamlReader& r, const MapEntry& e, CanaryPolicy* out) {
  const std::string what = "'model.promote.canary'";
  if (!r.ReadMap(e, what)) return;
  for (const MapEntry& m : r.Entries(e.value, kCanaryKeys, "in " + what)) {
    const std::string key_what = "'model.promote.canary." + m.key + "'";
    if (m.key == "steps") {
      ReadSteps(r, m, key_what, &out->steps);
    } else if (m.key == "window") {
      std::chrono::milliseconds window{0};
      if (!r.ReadDuration(m, key_what, &window)) continue;
      if (window < std::chrono::seconds(1)) {
        r.Error(YamlReader::ValuePos(m), key_what + ": expected at least 1s, got '" +
                                             m.value.Scalar() + "'");
        continue;
      }
      out->window = window;
    } else if (m.key == "min_requests") {
      r.ReadInt(m, key_what, 1, 1'000'000'000, &out->min_requests);
    } else if (m.key == "limits") {
      ReadLimits(r, m, key_what, out);
    } else {
      std::string promote;
      if (!r.ReadString(m, key_what, &promote)) continue;
      if (promote != "auto" && promote != "manual") {
        r.Error(YamlReader::ValuePos(m), key_what + ": expected auto or manual, got '" + promote + "'");
        continue;
      }
      out->promote = promote;
    }
  }
}

}  // namespace mlops::pipeline::internal
