#include "common/param_keys.h"

#include <algorithm>

namespace mlops::ml {

std::string UnknownKeyError(const nlohmann::json& with, const std::vector<std::string>& allowed) {
  for (const auto& [key, value] : with.items()) {
    if (key == "env" || key == "outputs") continue;
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    return "unknown parameter '" + key + "' (allowed: " + list + ")";
  }
  return "";
}

std::string ReadOutputName(const nlohmann::json& with, const std::string& fallback, std::string* name) {
  if (with.contains("output") && !with["output"].is_string()) {
    return "'output': expected a file name, got " + with["output"].dump();
  }
  *name = with.value("output", fallback);
  if (name->empty() || name->find("..") != std::string::npos || name->front() == '/') {
    return "'output' must be a file name in the work dir, got '" + *name + "'";
  }
  return "";
}

}  // namespace mlops::ml
