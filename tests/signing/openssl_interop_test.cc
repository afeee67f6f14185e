// Interoperability with the openssl command line, both ways: our envelopes
// verify with `openssl pkeyutl -verify` (through the commands documented in
// docs/signing.md), and keys and signatures made by openssl verify with our
// library.
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

#include "mlops/common/sha256.h"
#include "signing_fixture.h"

namespace mlops::signing::testing {
namespace {

// Runs a shell command; returns its exit code and stdout+stderr.
int Shell(const std::string& cmd, std::string* output = nullptr) {
  std::string full = cmd + " 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  if (p == nullptr) return -1;
  std::string out;
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  if (output != nullptr) *output = out;
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

std::string Q(const std::string& s) { return "'" + s + "'"; }

class OpensslInteropTest : public SigningTest {
 protected:
  std::string Envelope() {
    return SignStatement(MakeStatement({{"model.bin", Sha256Hex("m")}}, {{"run_id", 1}}));
  }
};

TEST_F(OpensslInteropTest, OurEnvelopeVerifiesWithTheDocumentedOpensslCommands) {
  std::string env_path = tmp_.Join("model.sig.json");
  WriteText(env_path, Envelope());
  std::string out;
  int rc = Shell(std::string(MLOPS_OPENSSL_VERIFY_SH) + " " + Q(env_path) + " " +
                     Q(key_.pub_path) + " " + Q(tmp_.path()),
                 &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("Signature Verified Successfully"), std::string::npos) << out;
  // The PAE openssl checked is byte for byte ours.
  nlohmann::json e = nlohmann::json::parse(ReadText(env_path));
  std::string payload;
  ASSERT_TRUE(Base64Decode(e["payload"].get<std::string>(), &payload));
  EXPECT_EQ(ReadText(tmp_.Join("pae.bin")), PreAuthEncoding(kPayloadType, payload));

  // Another key, and a changed payload, fail in openssl too.
  rc = Shell(std::string(MLOPS_OPENSSL_VERIFY_SH) + " " + Q(env_path) + " " +
                 Q(other_.pub_path) + " " + Q(tmp_.path()),
             &out);
  EXPECT_NE(rc, 0) << out;
  e["payload"] = Base64Encode(payload + " ");
  WriteText(env_path, e.dump());
  rc = Shell(std::string(MLOPS_OPENSSL_VERIFY_SH) + " " + Q(env_path) + " " +
                 Q(key_.pub_path) + " " + Q(tmp_.path()),
             &out);
  EXPECT_NE(rc, 0) << out;
}

TEST_F(OpensslInteropTest, OpensslKeysAndSignaturesVerifyWithOurLibrary) {
  const std::string k = tmp_.Join("ossl.key"), pub = tmp_.Join("ossl.pub");
  std::string out;
  ASSERT_EQ(Shell("openssl genpkey -algorithm ed25519 -out " + Q(k), &out), 0) << out;
  ASSERT_EQ(::chmod(k.c_str(), 0600), 0);
  ASSERT_EQ(Shell("openssl pkey -in " + Q(k) + " -pubout -out " + Q(pub), &out), 0) << out;

  // Our key id is sha256 of the raw key: the DER's last 32 bytes.
  ASSERT_EQ(Shell("openssl pkey -pubin -in " + Q(pub) + " -outform DER | tail -c 32 | "
                  "sha256sum | cut -d' ' -f1",
                  &out),
            0);
  PublicKey pk;
  ASSERT_TRUE(ReadPublicKeyFile(pub, &pk).ok());
  EXPECT_EQ(pk.key_id + "\n", out);
  PrivateKey loaded;  // openssl's PKCS#8 PEM loads
  Status st = PrivateKey::Load(k, &loaded);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(loaded.public_key().key_id, pk.key_id);

  // openssl signs the PAE; the envelope around it verifies with our library.
  const std::string payload =
      MakeStatement({{"model.bin", Sha256Hex("m")}}, {{"by", "openssl"}}).dump();
  WriteText(tmp_.Join("pae.bin"), PreAuthEncoding(kPayloadType, payload));
  ASSERT_EQ(Shell("openssl pkeyutl -sign -inkey " + Q(k) + " -rawin -in " +
                      Q(tmp_.Join("pae.bin")) + " -out " + Q(tmp_.Join("sig.bin")),
                  &out),
            0)
      << out;
  nlohmann::json env = {{"payloadType", kPayloadType},
                        {"payload", Base64Encode(payload)},
                        {"signatures", {{{"keyid", pk.key_id},
                                         {"sig", Base64Encode(ReadText(tmp_.Join("sig.bin")))}}}}};
  VerifiedStatement vs;
  st = VerifyEnvelope(env.dump(), {TrustedKey{pk, false}}, &vs);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(vs.predicate["by"], "openssl");
  // A raw openssl signature of our own message verifies with VerifySignature.
  std::string sig = ReadText(tmp_.Join("sig.bin"));
  EXPECT_TRUE(VerifySignature(pk, PreAuthEncoding(kPayloadType, payload), sig).ok());
  EXPECT_FALSE(VerifySignature(key_.pub, PreAuthEncoding(kPayloadType, payload), sig).ok());
}

TEST_F(OpensslInteropTest, NonEd25519KeysAreRefused) {
  const std::string k = tmp_.Join("ec.key"), pub = tmp_.Join("ec.pub");
  std::string out;
  ASSERT_EQ(Shell("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + Q(k),
                  &out),
            0)
      << out;
  ASSERT_EQ(::chmod(k.c_str(), 0600), 0);
  ASSERT_EQ(Shell("openssl pkey -in " + Q(k) + " -pubout -out " + Q(pub), &out), 0) << out;
  PrivateKey loaded;
  Status st = PrivateKey::Load(k, &loaded);
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_NE(st.message().find("not an Ed25519 key"), std::string::npos) << st.message();
  PublicKey pk;
  st = ReadPublicKeyFile(pub, &pk);
  EXPECT_NE(st.message().find("not an Ed25519 key"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace mlops::signing::testing
