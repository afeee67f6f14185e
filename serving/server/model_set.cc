#include "serving/server/model_set.h"

#include <random>

namespace mlops::serving {

uint64_t Fnv1a64(std::string_view key) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::shared_ptr<const LoadedVersion> ServedModel::Served(int64_t v) const {
  if (v == 0 || (v != production && v != canary)) return nullptr;
  auto it = versions.find(v);
  if (it == versions.end() || !it->second->available()) return nullptr;
  return it->second;
}

std::shared_ptr<const LoadedVersion> ServedModel::Route(std::string_view key) const {
  auto prod = Served(production);
  auto can = Served(canary);
  if (!can || canary_share_percent <= 0) return prod ? prod : can;
  if (!prod) return can;
  uint64_t bucket;
  if (key.empty()) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    bucket = rng() % 100;
  } else {
    bucket = Fnv1a64(key) % 100;
  }
  return bucket < static_cast<uint64_t>(canary_share_percent) ? can : prod;
}

}  // namespace mlops::serving
