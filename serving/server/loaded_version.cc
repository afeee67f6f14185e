#include "serving/server/loaded_version.h"

#include <map>

#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "model/model_file.h"
#include "models/stable_path.h"
#include "models/version_check.h"

namespace mlops::serving {

std::shared_ptr<const LoadedVersion> UnservedVersion(const std::string& model, int64_t version,
                                                     const std::string& state,
                                                     const std::string& reason) {
  auto out = std::make_shared<LoadedVersion>();
  out->model = model;
  out->version = version;
  out->state = state;
  out->reason = reason;
  return out;
}

std::shared_ptr<const LoadedVersion> LoadVerifiedVersion(
    const registry::ModelVersionRecord& v, const std::string& dir,
    const std::vector<signing::TrustedKey>& trusted) {
  auto out = std::make_shared<LoadedVersion>();
  out->model = v.model;
  out->version = v.version;
  out->envelope_sha256 = v.envelope_sha256;
  out->artifact_sha256 = v.artifact_sha256;
  auto failed = [&](const std::string& why) {
    out->state = kStateFailed;
    out->reason = why;
    out->mlp.reset();
    return out;
  };
  const std::string folder = "the published folder " + dir;
  std::string envelope;
  if (Status s = ReadFile(JoinPath(dir, models::kPublishedSignatureName), &envelope); !s.ok()) {
    return failed("signature: " + s.message());
  }
  // Every subject's bytes, kept so the model is parsed from what was hashed.
  std::map<std::string, std::string> bytes_by_sha;
  models::VerifyReport report;
  models::CheckSignedVersion(
      v, envelope, folder, trusted,
      [&](const signing::Subject& s, std::string* sha) -> std::string {
        std::string data;
        Status rs = ReadFile(JoinPath(dir, s.name), &data);
        if (!rs.ok()) return "published file " + s.name + ": " + rs.message();
        *sha = Sha256Hex(data);
        if (*sha == v.artifact_sha256) bytes_by_sha[*sha] = std::move(data);
        return "";
      },
      &report);
  out->key_id = report.key_id;
  if (!report.verified) return failed(report.reason);
  auto mlp = std::make_shared<ml::MlpModel>();
  if (Status s = ml::ParseModel(bytes_by_sha[v.artifact_sha256], v.model + " version " +
                                std::to_string(v.version), mlp.get());
      !s.ok()) {
    return failed("model file: " + s.message());
  }
  if (mlp->inputs() == 0 || mlp->outputs() == 0 ||
      (mlp->task == ml::Task::kClassification && mlp->classes.size() != mlp->outputs())) {
    return failed("model file: no inputs, no outputs, or classes that do not match its outputs");
  }
  auto schema = std::make_shared<PredictionSchema>();
  schema->classification = mlp->task == ml::Task::kClassification;
  schema->feature_names = mlp->feature_names;
  schema->classes = mlp->classes;
  out->schema = std::move(schema);
  out->mlp = std::move(mlp);
  out->state = kStateAvailable;
  return out;
}

}  // namespace mlops::serving
