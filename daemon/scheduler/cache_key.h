// The stage cache key: SHA-256 over everything that decides a stage's
// outputs: the stage name (two stages never share results), plugin name, version and file digest, params, input digests, the
// cache keys of the stages it needs, and the commit. Equal keys mean the
// outputs can be reused.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace mlops::scheduler {

struct CacheKeyParts {
  std::string stage;
  std::string plugin_name;
  std::string plugin_version;
  std::string plugin_sha256;
  std::string params_json;
  std::vector<std::pair<std::string, std::string>> inputs;  // (name, sha256)
  std::vector<std::string> upstream_keys;                   // of `needs`, in order
  std::string commit;
};

std::string ComputeCacheKey(const CacheKeyParts& parts);

}  // namespace mlops::scheduler
