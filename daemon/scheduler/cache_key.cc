#include "scheduler/cache_key.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "mlops/common/sha256.h"

namespace mlops::scheduler {

std::string ComputeCacheKey(const CacheKeyParts& parts) {
  auto inputs = parts.inputs;
  std::sort(inputs.begin(), inputs.end());
  nlohmann::json j = {
      {"v", 1},
      {"stage", parts.stage},
      {"plugin", {parts.plugin_name, parts.plugin_version, parts.plugin_sha256}},
      {"params", parts.params_json},
      {"inputs", inputs},
      {"upstream", parts.upstream_keys},
      {"commit", parts.commit},
  };
  return Sha256Hex(j.dump());
}

}  // namespace mlops::scheduler
