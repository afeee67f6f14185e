// The signature rules a model version must pass before it is promoted
// (ModelService) or served (mlops-serve), in one place so the two can never
// differ: the DSSE envelope's own digest is the one the version records; it
// verifies against a trusted, non-revoked key; every subject's bytes hash to
// the digest the statement names; the model artifact is among the subjects;
// the evaluator's gates passed. Where the bytes come from (the artifact
// store, a published folder) is the caller's: it passes a SubjectHasher.
// Thread-safety: pure functions; the hasher is called on the caller's thread.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "mlops/common/status.h"
#include "mlops/registry/model_registry.h"
#include "mlops/signing/signing.h"

namespace mlops::models {

struct VerifyReport {
  bool verified = false;
  std::string reason;  // why not, naming the file or key
  std::string key_id;
  std::vector<signing::Subject> subjects;
  bool gates_passed = false;
  nlohmann::json ToJson() const;  // model_service.cc
};

// Hashes one subject's bytes into *sha256; returns "" or why it could not
// ("not in the artifact store", "published file ...: no such file").
using SubjectHasher = std::function<std::string(const signing::Subject& s, std::string* sha256)>;

// The trusted keys of the registry (revoked ones marked), for VerifyEnvelope.
Status ListTrustedKeys(registry::ModelRegistry* models, std::vector<signing::TrustedKey>* out);

// Fills *out for version `v` with its envelope text `envelope`, read from
// `source` ("the artifact store", "the published folder DIR"): verified, or
// not with the reason.
void CheckSignedVersion(const registry::ModelVersionRecord& v, const std::string& envelope,
                        const std::string& source,
                        const std::vector<signing::TrustedKey>& trusted,
                        const SubjectHasher& hash, VerifyReport* out);

}  // namespace mlops::models
