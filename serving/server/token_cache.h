// The bearer tokens mlops-serve has authenticated, remembered for a short
// time so that a request does not hash its token and query the registry
// (one SQLite statement under the token store's lock) every time. An entry
// lives kTokenCacheTtl of the clock's monotonic time from its check: a token
// revoked in mlopsd is refused by mlops-serve at most that long after the
// revocation commits (docs/security.md). Only accepted tokens are
// remembered, keyed by the token's SHA-256 (the secret itself is not kept);
// a refused token goes to the registry every time. At most kMaxTokens
// entries: a full cache is emptied.
// Thread-safety: Authenticate may be called from any thread.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mlops/common/clock.h"
#include "mlops/common/status.h"
#include "mlops/registry/token_store.h"

namespace mlops::serving {

inline constexpr Duration kTokenCacheTtl{1000};

class TokenCache {
 public:
  static constexpr size_t kMaxTokens = 1024;

  // REQUIRES: tokens and clock outlive the cache.
  TokenCache(registry::TokenStore* tokens, Clock* clock) : tokens_(tokens), clock_(clock) {}

  // As TokenStore::Authenticate, answered from the cache while the entry
  // is younger than kTokenCacheTtl.
  Status Authenticate(std::string_view secret, registry::TokenRecord* record);

 private:
  struct Entry {
    registry::TokenRecord record;
    TimePoint until;
  };
  registry::TokenStore* tokens_;
  Clock* clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace mlops::serving
