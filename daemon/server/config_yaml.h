// Position-aware reads of a yaml-cpp tree for configuration files: every
// error names file:line:column and says what was expected. Shared by
// mlopsd's config loader (config.cc) and the `serving:` section reader
// (serving/shared), so both report problems the same way.
// Thread-safety: pure functions.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "mlops/common/status.h"

namespace mlops::config_yaml {

// Reads and parses the YAML file at `path`; a syntax error names
// path:line:column.
Status LoadYamlFile(const std::string& path, YAML::Node* root);

// "file:line:column" of a node (1-based).
std::string Where(const std::string& file, const YAML::Node& n);

// OK when `ok`; else InvalidArgument "<where>: expected <what>".
Status Expect(bool ok, const std::string& file, const YAML::Node& n, const std::string& what);

// A scalar or a list of scalars into *out.
Status ReadStrings(const std::string& file, const YAML::Node& n, std::vector<std::string>* out);

// A mapping key as text; a sequence or mapping used as a key is refused.
Status ReadKey(const std::string& file, const YAML::Node& key, std::string* out);

// A scalar converted to T (a string, a number, a bool); `what` is what the
// error says was expected.
template <typename T>
Status ReadScalar(const std::string& file, const YAML::Node& n, const std::string& what, T* out) {
  try {
    if (!n.IsScalar()) throw YAML::Exception(n.Mark(), "not a scalar");
    *out = n.as<T>();
    return Status::OK();
  } catch (const YAML::Exception&) {
    return Status::InvalidArgument(Where(file, n) + ": expected " + what);
  }
}

// A duration such as 500ms, 30s, 5m or 1h.
Status ReadDuration(const std::string& file, const YAML::Node& n, std::chrono::milliseconds* out);

// "; did you mean 'x'? (known: a, b, c)" for an unknown key.
std::string KnownKeys(const std::string& key, const std::vector<std::string_view>& known);

// The error for a key of a mapping: not a scalar, not in `known`
// ("unknown <what> '<key>'" with the did-you-mean hint) or seen before
// ("duplicate <what>"); OK otherwise with *key set and recorded in *seen.
Status CheckKey(const std::string& file, const YAML::Node& key_node,
                const std::vector<std::string_view>& known, const std::string& what,
                std::vector<std::string>* seen, std::string* key);

}  // namespace mlops::config_yaml
