// ProvenanceBuilder: the facts a signed model carries (docs/signing.md):
// the run, its pipeline and definition digest, the git commit, the
// data versions, every attempt of the run so far (plugin name, version and
// digest, params with secrets redacted) and the parent artifacts of the
// signing stage with the digests upstream of each. Written as JSON for the
// signer plugin (MLOPS_PROVENANCE) and kept with the model version.
// Thread-safety: stateless apart from the Store, which is thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlops/common/status.h"
#include "mlops/registry/store.h"

namespace mlops::models {

// True for keys that name secrets: containing (case-insensitively) secret,
// token, password, passwd, api_key, apikey, credential or private.
bool IsSecretKey(std::string_view key);
// Replaces, recursively, the value of every secret-looking key with
// "[redacted]".
nlohmann::json RedactSecrets(const nlohmann::json& value);

// An input of the signing stage: logical name and digest.
using NamedDigest = std::pair<std::string, std::string>;

class ProvenanceBuilder {
 public:
  explicit ProvenanceBuilder(registry::Store* store) : store_(store) {}
  // `parents`: the signing stage's inputs (may be empty).
  Status Build(int64_t run_id, const std::vector<NamedDigest>& parents, nlohmann::json* out) const;

 private:
  registry::Store* store_;
};

}  // namespace mlops::models
