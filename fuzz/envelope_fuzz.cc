// DSSE envelopes and in-toto statements (signing/): the bytes are read as
// an envelope against a trusted key, and, so that the statement reader
// behind the signature check is reached, also signed by that key as a
// statement payload and verified. Each either verifies or is refused with
// an error; nothing throws, aborts or leaks. Subject-name checks and base64
// decoding get the bytes too.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mlops/signing/signing.h"
#include "scratch_file.h"

namespace {

struct Signer {
  mlops::signing::PrivateKey key;
  std::vector<mlops::signing::TrustedKey> trusted;
};

const Signer& TheSigner() {
  static const Signer* signer = [] {
    static mlops::fuzz::ScratchFile folder("signing.key");
    auto* s = new Signer;
    mlops::signing::PublicKey pub;
    if (!mlops::signing::GenerateKeyPair(folder.path(), folder.dir() + "/signing.pub", &pub).ok() ||
        !mlops::signing::PrivateKey::Load(folder.path(), &s->key).ok()) {
      __builtin_trap();
    }
    s->trusted.push_back({pub, false});
    return s;
  }();
  return *signer;
}

void ExpectRefusalWithReason(const mlops::Status& status) {
  if (!status.ok() && status.message().empty()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Signer& signer = TheSigner();
  const std::string bytes(reinterpret_cast<const char*>(data), size);

  mlops::signing::VerifiedStatement as_envelope;
  ExpectRefusalWithReason(mlops::signing::VerifyEnvelope(bytes, signer.trusted, &as_envelope));

  std::string envelope;
  if (!mlops::signing::SignEnvelope(signer.key, mlops::signing::kPayloadType, bytes, &envelope).ok()) {
    __builtin_trap();
  }
  mlops::signing::VerifiedStatement as_statement;
  const mlops::Status status = mlops::signing::VerifyEnvelope(envelope, signer.trusted, &as_statement);
  ExpectRefusalWithReason(status);
  if (status.ok()) {
    for (const auto& subject : as_statement.subjects) {
      if (!mlops::signing::CheckSubjectName(subject.name).ok()) __builtin_trap();  // verified names are clean
    }
  }

  ExpectRefusalWithReason(mlops::signing::CheckSubjectName(bytes));
  std::string decoded;
  if (mlops::signing::Base64Decode(bytes, &decoded) &&
      mlops::signing::Base64Encode(decoded) != bytes) {
    __builtin_trap();  // decoding accepts canonical base64 only
  }
  return 0;
}
