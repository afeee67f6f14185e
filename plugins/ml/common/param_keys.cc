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

}  // namespace mlops::ml
