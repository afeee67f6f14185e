#include "pipeline/drift_policy_reader.h"

#include <optional>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

namespace mlops::pipeline::internal {
namespace {

const std::vector<std::string_view> kDriftKeys = {
    "source", "measure", "threshold", "features", "watch",
    "min_features", "min_rows", "windows", "cooldown"};
const std::vector<std::string_view> kRuleKeys = {"measure", "threshold"};
const std::vector<std::string_view> kMeasures = {"psi", "ks", "js", "wasserstein"};

std::string Alternatives(const std::vector<std::string_view>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + std::string(words[i]);
  }
  return out;
}

bool IsOneOf(const std::string& word, const std::vector<std::string_view>& words) {
  for (std::string_view w : words) {
    if (w == word) return true;
  }
  return false;
}

// One of `words`, else an error naming them.
bool ReadWord(YamlReader& r, const MapEntry& e, const std::string& what,
              const std::vector<std::string_view>& words, std::string* out) {
  std::string word;
  if (!r.ReadString(e, what, &word)) return false;
  if (!IsOneOf(word, words)) {
    r.Error(YamlReader::ValuePos(e),
            what + ": expected " + Alternatives(words) + ", got '" + word + "'");
    return false;
  }
  *out = word;
  return true;
}

// A rule as written: what it sets, and where its threshold is.
struct WrittenRule {
  std::optional<std::string> measure;
  std::optional<double> threshold;
  SourcePos threshold_pos;
};

// One `measure` or `threshold` entry of a rule (the policy's or a feature's).
void ReadRuleEntry(YamlReader& r, const MapEntry& e, const std::string& prefix, WrittenRule* rule) {
  const std::string what = "'" + prefix + e.key + "'";
  std::string measure;
  double threshold = 0;
  if (e.key == "measure" && ReadWord(r, e, what, kMeasures, &measure)) {
    rule->measure = measure;
  } else if (e.key == "threshold" && r.ReadPositiveNumber(e, what, &threshold)) {
    rule->threshold = threshold;
    rule->threshold_pos = YamlReader::ValuePos(e);
  }
}

// The effective rule over `base`: a rule with its own measure starts from
// that measure's default threshold. KS and JS scores lie in [0, 1], so a
// threshold of 1 or more, which would never fire, is an error.
DriftRule Resolve(YamlReader& r, const std::string& prefix, const WrittenRule& written,
                  const DriftRule& base) {
  DriftRule rule = base;
  if (written.measure) {
    rule.measure = *written.measure;
    rule.threshold.reset();
  }
  if (written.threshold) rule.threshold = written.threshold;
  if (written.threshold && (rule.measure == "ks" || rule.measure == "js") && *rule.threshold >= 1) {
    r.Error(written.threshold_pos, "'" + prefix + "threshold': " + rule.measure +
                                       " scores lie in [0, 1], expected a number below 1");
  }
  return rule;
}

// `features`: each feature's rule as written, resolved once the policy's is known.
void ReadFeatures(YamlReader& r, const MapEntry& e,
                  std::vector<std::pair<std::string, WrittenRule>>* out) {
  if (!r.ReadMap(e, "'on.drift.features'")) return;
  for (const MapEntry& f : r.Entries(e.value, {}, "in 'on.drift.features'")) {
    const std::string name = "on.drift.features." + f.key;
    WrittenRule rule;
    if (!f.value.IsNull()) {  // null: watched with the policy's rule
      if (!r.ReadMap(f, "'" + name + "'")) continue;
      for (const MapEntry& x : r.Entries(f.value, kRuleKeys, "in '" + name + "'")) {
        ReadRuleEntry(r, x, name + ".", &rule);
      }
    }
    out->emplace_back(f.key, rule);
  }
}

}  // namespace

bool ReadDriftPolicy(YamlReader& r, const MapEntry& e, DriftPolicy* policy) {
  const size_t errors_before = r.error_count();
  policy->pos = YamlReader::Pos(e.key_node);
  if (!e.value.IsNull() && !r.ReadMap(e, "'on.drift'")) return false;
  const std::vector<MapEntry> entries =
      e.value.IsNull() ? std::vector<MapEntry>{} : r.Entries(e.value, kDriftKeys, "in 'on.drift'");
  WrittenRule all;
  std::vector<std::pair<std::string, WrittenRule>> features;
  SourcePos watch_pos;
  for (const MapEntry& d : entries) {
    const std::string what = "'on.drift." + d.key + "'";
    int64_t n = 0;
    std::string word;
    if (d.key == "measure" || d.key == "threshold") {
      ReadRuleEntry(r, d, "on.drift.", &all);
    } else if (d.key == "source") {
      if (ReadWord(r, d, what, {"served", "data", "both"}, &word)) {
        policy->source = word == "served" ? DriftPolicy::Source::kServed
                         : word == "data" ? DriftPolicy::Source::kData
                                          : DriftPolicy::Source::kBoth;
      }
    } else if (d.key == "features") {
      ReadFeatures(r, d, &features);
    } else if (d.key == "watch") {
      if (ReadWord(r, d, what, {"all", "listed"}, &word)) policy->listed_only = word == "listed";
      watch_pos = YamlReader::ValuePos(d);
    } else if (d.key == "min_features") {
      if (r.ReadInt(d, what, 1, 100000, &n)) policy->min_features = static_cast<int>(n);
    } else if (d.key == "min_rows") {
      if (r.ReadInt(d, what, 1, 1000000000, &n)) policy->min_rows = n;
    } else if (d.key == "windows") {
      if (r.ReadInt(d, what, 1, 1000, &n)) policy->windows = static_cast<int>(n);
    } else if (d.key == "cooldown") {
      r.ReadDuration(d, what, &policy->cooldown);
    }
  }
  // Checks across keys, after the keys themselves.
  policy->all = Resolve(r, "on.drift.", all, DriftRule{});
  for (const auto& [name, written] : features) {
    policy->features[name] = Resolve(r, "on.drift.features." + name + ".", written, policy->all);
  }
  if (policy->listed_only && policy->features.empty()) {
    r.Error(watch_pos,
            "'on.drift.watch': 'listed' needs at least one feature under 'on.drift.features'");
  } else if (policy->listed_only &&
             static_cast<size_t>(policy->min_features) > policy->features.size()) {
    r.Error(watch_pos, "'on.drift.min_features' is " + std::to_string(policy->min_features) +
                           " but only " + std::to_string(policy->features.size()) +
                           " features are watched");
  }
  return r.error_count() == errors_before;
}

}  // namespace mlops::pipeline::internal
