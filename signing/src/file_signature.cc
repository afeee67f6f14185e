// Detached signatures for single files (plugins): <file>.sig is a DSSE
// envelope whose statement names the file's base name and digest, so a
// signature made for one plugin does not validate another.
#include "mlops/common/sha256.h"
#include "mlops/signing/signing.h"

namespace mlops::signing {
namespace {

std::string BaseName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Status SignFile(const PrivateKey& key, const std::string& file, std::string* envelope_json) {
  Subject s;
  s.name = BaseName(file);
  MLOPS_RETURN_IF_ERROR(CheckSubjectName(s.name));
  uint64_t size = 0;
  MLOPS_RETURN_IF_ERROR(Sha256File(file, &s.sha256, &size));
  nlohmann::json predicate = {{"kind", "file"}, {"signer_key_id", key.public_key().key_id}};
  std::string payload = MakeStatement({s}, predicate).dump();
  return SignEnvelope(key, kPayloadType, payload, envelope_json);
}

Status VerifyFile(const std::string& file, const std::string& envelope_json,
                  const std::vector<TrustedKey>& trusted, std::string* key_id) {
  std::string hex;
  uint64_t size = 0;
  MLOPS_RETURN_IF_ERROR(Sha256File(file, &hex, &size));
  return VerifyFileDigest(file, hex, envelope_json, trusted, key_id);
}

Status VerifyFileDigest(const std::string& file, const std::string& sha256,
                        const std::string& envelope_json, const std::vector<TrustedKey>& trusted,
                        std::string* key_id) {
  VerifiedStatement vs;
  MLOPS_RETURN_IF_ERROR(VerifyEnvelope(envelope_json, trusted, &vs));
  const std::string base = BaseName(file);
  if (vs.subjects.size() != 1 || vs.subjects[0].name != base) {
    return Status::PermissionDenied("the signature is for '" +
                                    (vs.subjects.empty() ? std::string() : vs.subjects[0].name) +
                                    "', not for '" + base + "'");
  }
  if (sha256 != vs.subjects[0].sha256) {
    return Status::PermissionDenied(file + " does not match its signature: sha256 " + sha256 +
                                    ", signed " + vs.subjects[0].sha256);
  }
  if (key_id != nullptr) *key_id = vs.key_id;
  return Status::OK();
}

}  // namespace mlops::signing
