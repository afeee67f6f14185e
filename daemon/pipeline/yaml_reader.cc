#include "pipeline/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "mlops/common/nearest_name.h"
#include "pipeline/yaml_scalar.h"

namespace mlops::pipeline::internal {

namespace {

std::string UnknownKeyMessage(const std::string& key, const std::vector<std::string_view>& allowed,
                              const std::string& where) {
  std::string message = "unknown key '" + key + "' " + where + DidYouMean(key, allowed);
  message += " (allowed:";
  for (size_t i = 0; i < allowed.size(); ++i) {
    message += (i == 0 ? " " : ", ") + std::string(allowed[i]);
  }
  return message + ")";
}

bool IsYaml11Bool(const std::string& s) {
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower == "yes" || lower == "no" || lower == "on" || lower == "off" || lower == "y" ||
         lower == "n";
}

}  // namespace

void YamlReader::Error(SourcePos pos, std::string message) {
  errors_->push_back(PipelineError{file_, pos, std::move(message)});
}

SourcePos YamlReader::Pos(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0 || mark.column < 0) return SourcePos{};
  return SourcePos{mark.line + 1, mark.column + 1};
}

SourcePos YamlReader::ValuePos(const MapEntry& e) {
  if (e.value.IsNull() || Pos(e.value).line == 0) return Pos(e.key_node);
  return Pos(e.value);
}

std::string YamlReader::Describe(const YAML::Node& node) {
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  if (!node.IsScalar()) return "null";
  const std::string& text = node.Scalar();
  const size_t cut = std::min<size_t>(text.find('\n'), 40);
  if (cut < text.size()) return "'" + text.substr(0, cut) + "...'";
  return "'" + text + "'";
}

std::vector<MapEntry> YamlReader::Entries(const YAML::Node& map,
                                          const std::vector<std::string_view>& allowed,
                                          const std::string& where) {
  std::vector<MapEntry> entries;
  entries.reserve(map.size());
  std::unordered_map<std::string, int> first_line;
  for (const auto& kv : map) {
    const YAML::Node& key_node = kv.first;
    if (key_node.IsMap() || key_node.IsSequence()) {
      Error(key_node, "expected a plain key " + where + ", got " + Describe(key_node));
      continue;
    }
    std::string key = key_node.IsScalar() ? key_node.Scalar() : std::string();
    const auto [it, inserted] = first_line.emplace(key, Pos(key_node).line);
    if (!inserted) {
      Error(key_node, "duplicate key '" + key + "' " + where + "; first defined at line " +
                          std::to_string(it->second));
      continue;
    }
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      Error(key_node, UnknownKeyMessage(key, allowed, where));
      continue;
    }
    entries.push_back(MapEntry{std::move(key), key_node, kv.second});
  }
  return entries;
}

bool YamlReader::TypeError(const MapEntry& e, const std::string& what,
                           const std::string& expected) {
  Error(ValuePos(e), what + ": expected " + expected + ", got " + Describe(e.value));
  return false;
}

bool YamlReader::ReadMap(const MapEntry& e, const std::string& what) {
  return e.value.IsMap() || TypeError(e, what, "a mapping");
}

bool YamlReader::ReadString(const MapEntry& e, const std::string& what, std::string* out) {
  if (!e.value.IsScalar()) return TypeError(e, what, "a string");
  *out = e.value.Scalar();
  return true;
}

bool YamlReader::ReadBool(const MapEntry& e, const std::string& what, bool* out) {
  if (e.value.IsScalar() && ResolveScalar(e.value) == ScalarType::kBool) {
    *out = e.value.Scalar()[0] != 'f' && e.value.Scalar()[0] != 'F';
    return true;
  }
  if (e.value.IsScalar() && IsYaml11Bool(e.value.Scalar())) {
    Error(ValuePos(e), what + ": expected true or false, got " + Describe(e.value) +
                           " (YAML 1.2: yes, no, on and off are strings, not booleans)");
    return false;
  }
  return TypeError(e, what, "true or false");
}

bool YamlReader::ReadInt(const MapEntry& e, const std::string& what, int64_t min, int64_t max,
                         int64_t* out) {
  int64_t value = 0;
  if (e.value.IsScalar() && ResolveScalar(e.value) == ScalarType::kInt &&
      ParseCoreInt(e.value.Scalar(), &value) && value >= min && value <= max) {
    *out = value;
    return true;
  }
  if (max == std::numeric_limits<int64_t>::max()) {
    return TypeError(e, what, "an integer >= " + std::to_string(min));
  }
  return TypeError(e, what,
                   "an integer from " + std::to_string(min) + " to " + std::to_string(max));
}

bool YamlReader::ReadPositiveNumber(const MapEntry& e, const std::string& what, double* out) {
  double value = 0;
  if (e.value.IsScalar() && ParseCoreNumber(e.value, &value) && std::isfinite(value) && value > 0) {
    *out = value;
    return true;
  }
  return TypeError(e, what, "a number > 0");
}

bool YamlReader::ReadDuration(const MapEntry& e, const std::string& what,
                              std::chrono::milliseconds* out) {
  if (!e.value.IsScalar()) return TypeError(e, what, "a duration such as 30s, 45m or 1h30m");
  std::string error;
  if (!ParseDuration(e.value.Scalar(), out, &error)) {
    Error(ValuePos(e), what + ": bad duration '" + e.value.Scalar() + "': " + error);
    return false;
  }
  return true;
}

bool YamlReader::ReadStringList(const MapEntry& e, const std::string& what,
                                std::vector<std::string>* out, std::vector<SourcePos>* positions,
                                bool allow_empty) {
  if (!e.value.IsSequence()) return TypeError(e, what, "a list of strings");
  std::vector<std::string> items;
  std::vector<SourcePos> item_positions;
  bool ok = true;
  for (const YAML::Node& item : e.value) {
    const SourcePos pos = Pos(item).line != 0 ? Pos(item) : ValuePos(e);
    if (!item.IsScalar() || (item.Scalar().empty() && !allow_empty)) {
      Error(pos, what + ": expected " + (allow_empty ? "a string" : "a non-empty string") +
                     ", got " + Describe(item));
      ok = false;
      continue;
    }
    items.push_back(item.Scalar());
    item_positions.push_back(pos);
  }
  if (!ok) return false;
  *out = std::move(items);
  if (positions != nullptr) *positions = std::move(item_positions);
  return true;
}

}  // namespace mlops::pipeline::internal
