#include "server/config_yaml.h"

#include <algorithm>

#include "mlops/common/files.h"
#include "mlops/common/nearest_name.h"
#include "pipeline/pipeline_parser.h"

namespace mlops::config_yaml {

Status LoadYamlFile(const std::string& path, YAML::Node* root) {
  std::string text;
  MLOPS_RETURN_IF_ERROR(ReadFile(path, &text));
  try {
    *root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return Status::InvalidArgument(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                   std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  return Status::OK();
}

std::string Where(const std::string& file, const YAML::Node& n) {
  return file + ":" + std::to_string(n.Mark().line + 1) + ":" + std::to_string(n.Mark().column + 1);
}

Status Expect(bool ok, const std::string& file, const YAML::Node& n, const std::string& what) {
  if (ok) return Status::OK();
  return Status::InvalidArgument(Where(file, n) + ": expected " + what);
}

Status ReadStrings(const std::string& file, const YAML::Node& n, std::vector<std::string>* out) {
  if (n.IsScalar()) {
    out->assign(1, n.as<std::string>());
    return Status::OK();
  }
  MLOPS_RETURN_IF_ERROR(Expect(n.IsSequence(), file, n, "a folder or a list of folders"));
  out->clear();
  for (const auto& item : n) {
    MLOPS_RETURN_IF_ERROR(Expect(item.IsScalar(), file, item, "a folder path"));
    out->push_back(item.as<std::string>());
  }
  return Status::OK();
}

Status ReadKey(const std::string& file, const YAML::Node& key, std::string* out) {
  MLOPS_RETURN_IF_ERROR(Expect(key.IsScalar(), file, key, "a setting name"));
  *out = key.as<std::string>();
  return Status::OK();
}

Status ReadDuration(const std::string& file, const YAML::Node& n, std::chrono::milliseconds* out) {
  if (!n.IsScalar() || !pipeline::ParseDuration(n.as<std::string>(), out)) {
    return Status::InvalidArgument(Where(file, n) +
                                   ": expected a duration such as 500ms, 30s, 5m or 1h");
  }
  return Status::OK();
}

std::string KnownKeys(const std::string& key, const std::vector<std::string_view>& known) {
  std::string text = DidYouMean(key, known) + " (known:";
  for (size_t i = 0; i < known.size(); ++i) text += (i == 0 ? " " : ", ") + std::string(known[i]);
  return text + ")";
}

Status CheckKey(const std::string& file, const YAML::Node& key_node,
                const std::vector<std::string_view>& known, const std::string& what,
                std::vector<std::string>* seen, std::string* key) {
  MLOPS_RETURN_IF_ERROR(ReadKey(file, key_node, key));
  if (std::find(known.begin(), known.end(), *key) == known.end()) {
    return Status::InvalidArgument(Where(file, key_node) + ": unknown " + what + " '" + *key +
                                   "'" + KnownKeys(*key, known));
  }
  if (std::find(seen->begin(), seen->end(), *key) != seen->end()) {
    return Status::InvalidArgument(Where(file, key_node) + ": duplicate " + what + " '" + *key + "'");
  }
  seen->push_back(*key);
  return Status::OK();
}

}  // namespace mlops::config_yaml
