#include "models/version_check.h"

#include "mlops/common/sha256.h"

namespace mlops::models {

Status ListTrustedKeys(registry::ModelRegistry* models, std::vector<signing::TrustedKey>* out) {
  out->clear();
  std::vector<registry::TrustedKeyRecord> keys;
  MLOPS_RETURN_IF_ERROR(models->ListKeys(&keys));
  for (const auto& k : keys) {
    signing::TrustedKey t;
    if (!signing::ParsePublicKey(k.public_key_pem, &t.key).ok()) continue;
    t.revoked = k.revoked_ms != 0;
    out->push_back(std::move(t));
  }
  return Status::OK();
}

void CheckSignedVersion(const registry::ModelVersionRecord& v, const std::string& envelope,
                        const std::string& source,
                        const std::vector<signing::TrustedKey>& trusted,
                        const SubjectHasher& hash, VerifyReport* out) {
  *out = VerifyReport{};
  out->gates_passed = v.gates_passed;
  auto fail = [&](const std::string& why) {
    out->verified = false;
    out->reason = why;
  };
  if (v.envelope_sha256.empty()) {
    return fail("version " + std::to_string(v.version) +
                " has no signature: an unsigned version never reaches staging or production");
  }
  if (Sha256Hex(envelope) != v.envelope_sha256) {
    return fail("the signature envelope " + v.envelope_sha256 + " was modified in " + source);
  }
  signing::VerifiedStatement statement;
  Status vs = signing::VerifyEnvelope(envelope, trusted, &statement);
  if (!vs.ok()) return fail("signature: " + vs.message());
  out->key_id = statement.key_id;
  out->subjects = statement.subjects;
  bool covers = false;
  for (const auto& s : statement.subjects) {
    std::string sha;
    if (!IsSha256Hex(s.sha256)) return fail("file '" + s.name + "' has no valid sha256");
    if (std::string problem = hash(s, &sha); !problem.empty()) return fail(problem);
    if (sha != s.sha256) {
      return fail("file '" + s.name + "' was modified: its sha256 is " + sha +
                  ", the manifest says " + s.sha256);
    }
    covers = covers || s.sha256 == v.artifact_sha256;
  }
  if (!covers) {
    return fail("manifest belongs to another artifact: it does not list the model artifact " +
                v.artifact_sha256);
  }
  if (!v.gates_passed) return fail("the evaluator's gates did not pass");
  out->verified = true;
}

}  // namespace mlops::models
