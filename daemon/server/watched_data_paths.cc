#include "server/watched_data_paths.h"

#include "mlops/common/sha256.h"

namespace mlops::server {

std::map<std::string, std::vector<int64_t>> WatchedDataPaths::Update(
    const std::vector<registry::PipelineRecord>& pipelines) {
  std::map<int64_t, Known> now;
  for (const auto& rec : pipelines) {
    // A record without its digest (none should be) is hashed here, so that
    // it is not parsed on every scan either.
    const std::string digest = rec.definition_sha256.empty() ? Sha256Hex(rec.definition) : rec.definition_sha256;
    auto it = known_.find(rec.id);
    if (it != known_.end() && it->second.definition_sha256 == digest) {
      now.emplace(rec.id, std::move(it->second));
      continue;
    }
    Known k;
    k.definition_sha256 = digest;
    registry::PipelineRecord keyed = rec;  // the cache's key is (name, digest)
    keyed.definition_sha256 = digest;
    ++lookups_;
    const auto prepared = pipelines_->Get(keyed);
    if (prepared->error.empty()) {
      for (const auto& path : prepared->pipeline.on.data_paths) {
        // Paths inside a repository change with its commits (git
        // triggers); only absolute paths are watched here.
        if (!path.empty() && path.front() == '/') k.paths.push_back(path);
      }
    }
    now.emplace(rec.id, std::move(k));
  }
  known_ = std::move(now);
  std::map<std::string, std::vector<int64_t>> out;
  for (const auto& rec : pipelines) {  // in the order given, as before
    for (const auto& path : known_.at(rec.id).paths) out[path].push_back(rec.id);
  }
  return out;
}

}  // namespace mlops::server
