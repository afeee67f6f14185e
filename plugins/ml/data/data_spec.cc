#include "data/data_spec.h"

#include <algorithm>
#include <set>

#include "data/number_text.h"
#include "mlops/common/files.h"

namespace mlops::ml {
namespace {

using nlohmann::json;

const std::vector<std::string> kDataKeys = {"path",  "label_path", "format",  "header",  "delimiter",
                                            "label", "task",       "classes", "columns", "drop"};
const std::vector<std::string> kColumnKeys = {"min", "max", "allow_missing"};

std::string JoinList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// "'key'" or, for nested keys, "'columns.age.min'".
std::string Quoted(const std::string& key) { return "'" + key + "'"; }

Status UnknownKey(const json& obj, const std::vector<std::string>& allowed, const std::string& where) {
  for (const auto& [key, value] : obj.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return Status::InvalidArgument("unknown key '" + key + "'" + where + " (allowed: " + JoinList(allowed) + ")");
    }
  }
  return Status::OK();
}

Status WrongType(const std::string& key, const char* expected, const json& got) {
  return Status::InvalidArgument(Quoted(key) + ": expected " + expected + ", got " + got.dump());
}

Status GetString(const json& j, const std::string& key, std::string* out) {
  if (!j.contains(key)) return Status::OK();
  if (!j[key].is_string()) return WrongType(key, "a string", j[key]);
  *out = j[key].get<std::string>();
  return Status::OK();
}

Status GetBool(const json& j, const std::string& key, const std::string& name, bool* out) {
  if (!j.contains(key)) return Status::OK();
  if (!j[key].is_boolean()) return WrongType(name, "true or false", j[key]);
  *out = j[key].get<bool>();
  return Status::OK();
}

Status GetNumber(const json& j, const std::string& key, const std::string& name, std::optional<double>* out) {
  if (!j.contains(key)) return Status::OK();
  if (!j[key].is_number()) return WrongType(name, "a number", j[key]);
  *out = j[key].get<double>();
  return Status::OK();
}

// A list of distinct non-empty names; integers are taken as their decimal
// text, so YAML's `classes: [0, 1]` reads as the names "0" and "1".
Status GetNames(const json& j, const std::string& key, std::vector<std::string>* out) {
  if (!j.contains(key)) return Status::OK();
  const json& v = j[key];
  if (!v.is_array()) return WrongType(key, "a list of names", v);
  std::set<std::string> seen;
  out->clear();
  for (size_t i = 0; i < v.size(); ++i) {
    std::string name;
    if (v[i].is_string()) {
      name = v[i].get<std::string>();
    } else if (v[i].is_number_integer()) {
      name = v[i].dump();
    } else {
      return WrongType(key + "[" + std::to_string(i) + "]", "a name (string)", v[i]);
    }
    if (name.empty())
      return Status::InvalidArgument(Quoted(key) + ": entry " + std::to_string(i) + " is empty, expected a name");
    if (!seen.insert(name).second) {
      return Status::InvalidArgument(Quoted(key) + ": '" + name + "' is listed twice, expected distinct names");
    }
    out->push_back(std::move(name));
  }
  return Status::OK();
}

Status ParseColumns(const json& j, std::map<std::string, ColumnRule>* out) {
  if (!j.contains("columns")) return Status::OK();
  const json& cols = j["columns"];
  if (!cols.is_object()) return WrongType("columns", "a map of column name to {min, max, allow_missing}", cols);
  out->clear();
  for (const auto& [name, rule_json] : cols.items()) {
    const std::string key = "columns." + name;
    if (!rule_json.is_object()) return WrongType(key, "an object with min, max or allow_missing", rule_json);
    MLOPS_RETURN_IF_ERROR(UnknownKey(rule_json, kColumnKeys, " in " + Quoted(key)));
    ColumnRule rule;
    MLOPS_RETURN_IF_ERROR(GetNumber(rule_json, "min", key + ".min", &rule.min));
    MLOPS_RETURN_IF_ERROR(GetNumber(rule_json, "max", key + ".max", &rule.max));
    MLOPS_RETURN_IF_ERROR(GetBool(rule_json, "allow_missing", key + ".allow_missing", &rule.allow_missing));
    if (rule.min && rule.max && *rule.min > *rule.max) {
      return Status::InvalidArgument(Quoted(key) + ": min " + FormatNumber(*rule.min) + " is above max " +
                                     FormatNumber(*rule.max) + ", expected min <= max");
    }
    (*out)[name] = rule;
  }
  return Status::OK();
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return path;
  return JoinPath(base_dir, path);
}

}  // namespace

Status ParseDataSpec(const json& j, const std::string& base_dir, DataSpec* out) {
  if (!j.is_object()) return Status::InvalidArgument("expected an object with at least 'path', got " + j.dump());
  MLOPS_RETURN_IF_ERROR(UnknownKey(j, kDataKeys, ""));
  DataSpec spec;
  if (!j.contains("path")) return Status::InvalidArgument("'path' is required (the .csv or .csv.gz file)");
  MLOPS_RETURN_IF_ERROR(GetString(j, "path", &spec.path));
  if (spec.path.empty()) return Status::InvalidArgument("'path' is empty, expected a .csv or .csv.gz file");
  MLOPS_RETURN_IF_ERROR(GetString(j, "label_path", &spec.label_path));
  MLOPS_RETURN_IF_ERROR(GetString(j, "format", &spec.format));
  if (spec.format != "csv" && spec.format != "sklearn") {
    return Status::InvalidArgument("'format': '" + spec.format + "' is not a format, expected 'csv' or 'sklearn'");
  }
  MLOPS_RETURN_IF_ERROR(GetBool(j, "header", "header", &spec.header));
  MLOPS_RETURN_IF_ERROR(GetString(j, "delimiter", &spec.delimiter));
  if (spec.delimiter != "," && spec.delimiter != ";" && spec.delimiter != "\t" && spec.delimiter != "whitespace") {
    return Status::InvalidArgument("'delimiter': " + json(spec.delimiter).dump() +
                                   " is not supported, expected \",\", \";\", \"\\t\" or \"whitespace\"");
  }
  MLOPS_RETURN_IF_ERROR(GetString(j, "label", &spec.label));
  std::string task = ToString(spec.task);
  MLOPS_RETURN_IF_ERROR(GetString(j, "task", &task));
  if (!ParseTask(task, &spec.task)) {
    return Status::InvalidArgument("'task': '" + task + "' is not a task, expected 'classification' or 'regression'");
  }
  MLOPS_RETURN_IF_ERROR(GetNames(j, "classes", &spec.classes));
  MLOPS_RETURN_IF_ERROR(ParseColumns(j, &spec.columns));
  MLOPS_RETURN_IF_ERROR(GetNames(j, "drop", &spec.drop));

  if (spec.task == Task::kRegression && !spec.classes.empty()) {
    return Status::InvalidArgument("'classes' is for classification, expected no 'classes' with task regression");
  }
  if (!spec.label_path.empty() && !spec.label.empty()) {
    return Status::InvalidArgument("'label' names a column of 'path', expected no 'label' with 'label_path'");
  }
  if (spec.format == "sklearn") {
    if (spec.task != Task::kClassification) {
      return Status::InvalidArgument("'format': sklearn names classes in its first line, expected task classification");
    }
    if (!spec.label_path.empty() || !spec.label.empty()) {
      return Status::InvalidArgument("'format': sklearn has the label last, expected no 'label' or 'label_path'");
    }
  }
  for (const auto& name : spec.drop) {
    if (spec.columns.count(name)) {
      return Status::InvalidArgument("'drop' and 'columns' both name '" + name + "', expected one or the other");
    }
  }
  spec.path = Resolve(base_dir, spec.path);
  spec.label_path = Resolve(base_dir, spec.label_path);
  *out = std::move(spec);
  return Status::OK();
}

json ToJson(const DataSpec& spec) {
  json j = {{"path", spec.path},           {"format", spec.format}, {"header", spec.header},
            {"delimiter", spec.delimiter}, {"label", spec.label},   {"task", ToString(spec.task)}};
  if (!spec.label_path.empty()) j["label_path"] = spec.label_path;
  if (!spec.classes.empty()) j["classes"] = spec.classes;
  if (!spec.columns.empty()) {
    json cols = json::object();
    for (const auto& [name, rule] : spec.columns) {
      json r = {{"allow_missing", rule.allow_missing}};
      if (rule.min) r["min"] = *rule.min;
      if (rule.max) r["max"] = *rule.max;
      cols[name] = r;
    }
    j["columns"] = cols;
  }
  if (!spec.drop.empty()) j["drop"] = spec.drop;
  return j;
}

}  // namespace mlops::ml
