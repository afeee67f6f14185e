// LoadedVersion: one model version as mlops-serve holds it, from its
// published folder (<state>/models/<name>/versions/<v>/), verified the way a
// promotion is (models/version_check.h): model.sig.json is the envelope the
// registry records, signed by a trusted, non-revoked key; every file of the
// statement is read and re-hashed; the model file is loaded from exactly the
// bytes that were hashed, so nothing can change in between. A version that
// does not verify or load is kept with state FAILED and the reason, never
// served. Nothing is ever loaded from a request.
// Thread-safety: immutable once built; shared between model sets.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "log/prediction_record.h"
#include "mlops/registry/model_registry.h"
#include "mlops/signing/signing.h"
#include "model/mlp_model.h"

namespace mlops::serving {

inline constexpr const char* kStateAvailable = "AVAILABLE";
inline constexpr const char* kStateLoading = "LOADING";
inline constexpr const char* kStateFailed = "FAILED";

struct LoadedVersion {
  std::string model;
  int64_t version = 0;
  std::string state = kStateLoading;
  std::string reason;  // FAILED: why; LOADING: what it waits for
  std::string envelope_sha256;
  std::string artifact_sha256;
  std::string key_id;
  std::shared_ptr<const ml::MlpModel> mlp;  // set when AVAILABLE
  std::shared_ptr<const PredictionSchema> schema;
  bool available() const { return mlp != nullptr; }
};

// Verifies and loads version `v` from `dir`. Always returns a version:
// AVAILABLE, or FAILED with the reason.
std::shared_ptr<const LoadedVersion> LoadVerifiedVersion(
    const registry::ModelVersionRecord& v, const std::string& dir,
    const std::vector<signing::TrustedKey>& trusted);

// A placeholder that is not served (LOADING or FAILED) with its reason.
std::shared_ptr<const LoadedVersion> UnservedVersion(const std::string& model, int64_t version,
                                                     const std::string& state,
                                                     const std::string& reason);

}  // namespace mlops::serving
