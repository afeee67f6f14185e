// ModelSet: what mlops-serve serves at one instant, immutable once built.
// The watcher builds a new set when the registry changes and swaps it in
// atomically; a request keeps the set (and so the versions) it started
// with until it ends, and a version no set holds any more is freed when its
// last request ends.
//
// Canary routing (docs/serving.md, "Server and protocols"): a model with a
// canary sends a request to it when FNV-1a-64(key) mod 100 < share percent,
// the key being the X-Request-Key header, else the OIP `id`, else random;
// so a client that sends a key sticks to one version.
// Thread-safety: immutable; share freely.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "serving/server/loaded_version.h"

namespace mlops::serving {

struct ServedModel {
  std::string name;
  int64_t production = 0;  // the version the production link names; 0: none
  int64_t canary = 0;      // 0: none
  int canary_share_percent = 0;
  // Every version the model has here, served or not (FAILED, LOADING).
  std::map<int64_t, std::shared_ptr<const LoadedVersion>> versions;

  // The version `v` when it is production or canary and AVAILABLE; null
  // otherwise.
  std::shared_ptr<const LoadedVersion> Served(int64_t v) const;
  // Production or canary for a request with routing key `key` (empty: a
  // random draw). Falls back to production when the canary is not
  // available, and the reverse; null when neither is.
  std::shared_ptr<const LoadedVersion> Route(std::string_view key) const;
  bool Ready() const { return Served(production) != nullptr; }
};

struct ModelSet {
  std::map<std::string, ServedModel> models;
  bool complete = false;  // false until the first registry poll built it
};

// FNV-1a 64-bit of `key`; the canary bucket is its value mod 100.
uint64_t Fnv1a64(std::string_view key);

}  // namespace mlops::serving
