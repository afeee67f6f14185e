#include "serving/server/token_cache.h"

#include "mlops/common/sha256.h"

namespace mlops::serving {

Status TokenCache::Authenticate(std::string_view secret, registry::TokenRecord* record) {
  const std::string key = Sha256Hex(secret);
  const TimePoint now = clock_->Now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      if (now < it->second.until) {
        *record = it->second.record;
        return Status::OK();
      }
      entries_.erase(it);
    }
  }
  registry::TokenRecord fresh;
  MLOPS_RETURN_IF_ERROR(tokens_->Authenticate(secret, clock_->WallMillis(), &fresh));
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.size() >= kMaxTokens) entries_.clear();
  entries_.insert_or_assign(key, Entry{fresh, now + kTokenCacheTtl});
  *record = std::move(fresh);
  return Status::OK();
}

}  // namespace mlops::serving
