// in-toto Statement v1 in a DSSE envelope (github.com/secure-systems-lab/dsse):
// the signature covers PAE(payloadType, payload), never the JSON around it,
// so the envelope's own formatting is irrelevant to verification.
#include <algorithm>
#include <set>

#include "mlops/common/sha256.h"
#include "mlops/signing/signing.h"

namespace mlops::signing {
namespace {

Status Malformed(const std::string& why) {
  return Status::InvalidArgument("malformed signature envelope: " + why);
}

Status ParseStatement(const std::string& payload, VerifiedStatement* out) {
  nlohmann::json st = nlohmann::json::parse(payload, nullptr, false);
  if (st.is_discarded() || !st.is_object()) {
    return Status::InvalidArgument("signed payload is not a JSON object");
  }
  if (!st.contains("_type") || !st["_type"].is_string() ||
      st["_type"].get<std::string>() != kStatementType) {
    return Status::InvalidArgument(std::string("signed statement _type is not ") +
                                   kStatementType);
  }
  if (!st.contains("subject") || !st["subject"].is_array() || st["subject"].empty()) {
    return Status::InvalidArgument("signed statement has no subject list");
  }
  if (!st.contains("predicateType") || !st["predicateType"].is_string()) {
    return Status::InvalidArgument("signed statement has no predicateType");
  }
  std::set<std::string> seen;
  std::vector<Subject> subjects;
  size_t index = 0;
  for (const auto& s : st["subject"]) {
    std::string where = "subject #" + std::to_string(index++);
    if (!s.is_object() || !s.contains("name") || !s["name"].is_string()) {
      return Status::InvalidArgument(where + " has no string 'name'");
    }
    Subject subject;
    subject.name = s["name"].get<std::string>();
    MLOPS_RETURN_IF_ERROR(CheckSubjectName(subject.name));
    if (!s.contains("digest") || !s["digest"].is_object() || !s["digest"].contains("sha256") ||
        !s["digest"]["sha256"].is_string() ||
        !IsSha256Hex(s["digest"]["sha256"].get<std::string>())) {
      return Status::InvalidArgument(where + " ('" + subject.name +
                                     "') has no lower-case hex digest.sha256");
    }
    subject.sha256 = s["digest"]["sha256"].get<std::string>();
    if (!seen.insert(subject.name).second) {
      return Status::InvalidArgument("subject name '" + subject.name + "' appears twice");
    }
    subjects.push_back(std::move(subject));
  }
  out->predicate = st.contains("predicate") ? st["predicate"] : nlohmann::json::object();
  out->subjects = std::move(subjects);
  out->statement = std::move(st);
  return Status::OK();
}

}  // namespace

std::string PreAuthEncoding(const std::string& payload_type, const std::string& payload) {
  // "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in ASCII decimal.
  return "DSSEv1 " + std::to_string(payload_type.size()) + " " + payload_type + " " +
         std::to_string(payload.size()) + " " + payload;
}

nlohmann::json MakeStatement(const std::vector<Subject>& subjects,
                             const nlohmann::json& predicate) {
  std::vector<Subject> sorted = subjects;
  std::sort(sorted.begin(), sorted.end(),
            [](const Subject& a, const Subject& b) { return a.name < b.name; });
  nlohmann::json list = nlohmann::json::array();
  for (const Subject& s : sorted) {
    list.push_back({{"name", s.name}, {"digest", {{"sha256", s.sha256}}}});
  }
  return {{"_type", kStatementType},
          {"subject", std::move(list)},
          {"predicateType", kPredicateType},
          {"predicate", predicate}};
}

Status SignEnvelope(const PrivateKey& key, const std::string& payload_type,
                    const std::string& payload, std::string* envelope_json) {
  std::string sig;
  MLOPS_RETURN_IF_ERROR(key.Sign(PreAuthEncoding(payload_type, payload), &sig));
  nlohmann::json env = {
      {"payloadType", payload_type},
      {"payload", Base64Encode(payload)},
      {"signatures", {{{"keyid", key.public_key().key_id}, {"sig", Base64Encode(sig)}}}}};
  *envelope_json = env.dump(2) + "\n";
  return Status::OK();
}

Status VerifyEnvelope(const std::string& envelope_json, const std::vector<TrustedKey>& trusted,
                      VerifiedStatement* out) {
  nlohmann::json env = nlohmann::json::parse(envelope_json, nullptr, false);
  if (env.is_discarded()) return Malformed("not valid JSON");
  if (!env.is_object()) return Malformed("not a JSON object");
  if (!env.contains("payloadType") || !env["payloadType"].is_string()) {
    return Malformed("no string 'payloadType'");
  }
  std::string payload_type = env["payloadType"].get<std::string>();
  if (payload_type != kPayloadType) {
    return Status::InvalidArgument("signature envelope payloadType is '" + payload_type +
                                   "', expected '" + kPayloadType + "'");
  }
  if (!env.contains("payload") || !env["payload"].is_string()) {
    return Malformed("no string 'payload'");
  }
  std::string payload;
  if (!Base64Decode(env["payload"].get<std::string>(), &payload)) {
    return Malformed("'payload' is not standard base64");
  }
  if (!env.contains("signatures") || !env["signatures"].is_array() ||
      env["signatures"].empty()) {
    return Malformed("no 'signatures' list");
  }
  const std::string pae = PreAuthEncoding(payload_type, payload);
  // Every signature is examined; one good one by a trusted, non-revoked key
  // is enough. Otherwise the most telling refusal is reported.
  Status refusal;
  Status revoked;  // wins over other refusals: it says what to do
  std::string good_key;
  for (const auto& s : env["signatures"]) {
    if (!s.is_object() || !s.contains("sig") || !s["sig"].is_string()) {
      return Malformed("a signature has no string 'sig'");
    }
    std::string keyid;
    if (s.contains("keyid")) {
      if (!s["keyid"].is_string()) return Malformed("a signature's 'keyid' is not a string");
      keyid = s["keyid"].get<std::string>();
    }
    std::string sig;
    if (!Base64Decode(s["sig"].get<std::string>(), &sig)) {
      return Malformed("a signature's 'sig' is not standard base64");
    }
    bool known = false;
    for (const TrustedKey& k : trusted) {
      // The keyid is only a hint; without one every trusted key is tried.
      if (!keyid.empty() && k.key.key_id != keyid) continue;
      known = true;
      Status v = VerifySignature(k.key, pae, sig);
      if (v.ok() && k.revoked) {
        revoked = Status::PermissionDenied("signed by key " + k.key.key_id +
                                           ", which has been revoked");
        continue;
      }
      if (v.ok()) {
        good_key = k.key.key_id;
        break;
      }
      if (refusal.ok() || !keyid.empty()) refusal = v;
    }
    if (!good_key.empty()) break;
    if (!known && refusal.ok()) {
      refusal = Status::PermissionDenied(
          keyid.empty() ? std::string("the signature matches no trusted key")
                        : "signed by key " + keyid + ", which is not a trusted key");
    }
  }
  if (good_key.empty()) {
    if (!revoked.ok()) return revoked;
    if (refusal.ok()) refusal = Status::PermissionDenied("no trusted keys to verify with");
    return refusal;
  }
  VerifiedStatement result;
  MLOPS_RETURN_IF_ERROR(ParseStatement(payload, &result));
  result.key_id = good_key;
  *out = std::move(result);
  return Status::OK();
}

}  // namespace mlops::signing
