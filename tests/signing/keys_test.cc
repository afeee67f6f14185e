// Key generation, loading (permission checks), signing and key ids.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mlops/common/sha256.h"
#include "signing_fixture.h"

namespace mlops::signing::testing {
namespace {

int ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST_F(SigningTest, GenerateWritesPrivate0600AndPublic0644EvenUnderLooseUmask) {
  mode_t old = ::umask(0);
  TestKey k;
  MakeKey(tmp_.path(), "loose", &k);
  ::umask(old);
  EXPECT_EQ(ModeOf(k.priv_path), 0600);
  EXPECT_EQ(ModeOf(k.pub_path), 0644);
  EXPECT_NE(ReadText(k.priv_path).find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  EXPECT_NE(ReadText(k.pub_path).find("-----BEGIN PUBLIC KEY-----"), std::string::npos);
  EXPECT_EQ(k.pub.key_id.size(), 64u);
  EXPECT_EQ(k.priv.public_key().key_id, k.pub.key_id);
}

TEST_F(SigningTest, GenerateRefusesToOverwriteEitherFile) {
  std::string before = ReadText(key_.priv_path);
  Status st = GenerateKeyPair(key_.priv_path, tmp_.Join("fresh.pub"), nullptr);
  EXPECT_TRUE(st.IsConflict()) << st.ToString();
  EXPECT_NE(st.message().find(key_.priv_path), std::string::npos);
  EXPECT_EQ(ReadText(key_.priv_path), before);
  EXPECT_FALSE(PathExists(tmp_.Join("fresh.pub")));
  st = GenerateKeyPair(tmp_.Join("fresh.key"), key_.pub_path, nullptr);
  EXPECT_TRUE(st.IsConflict()) << st.ToString();
  EXPECT_FALSE(PathExists(tmp_.Join("fresh.key")));
}

TEST_F(SigningTest, KeyIdIsSha256OfRawPublicKey) {
  // The raw key is the last 32 bytes of the 44-byte SubjectPublicKeyInfo DER.
  std::string pem = key_.pub.pem;
  std::string b64;
  size_t begin = pem.find('\n') + 1;
  size_t end = pem.find("-----END");
  for (size_t i = begin; i < end; ++i) {
    if (pem[i] != '\n') b64 += pem[i];
  }
  std::string der;
  ASSERT_TRUE(Base64Decode(b64, &der));
  ASSERT_EQ(der.size(), 44u);
  EXPECT_EQ(key_.pub.key_id, Sha256Hex(der.substr(12)));
  PublicKey parsed;
  ASSERT_TRUE(ReadPublicKeyFile(key_.pub_path, &parsed).ok());
  EXPECT_EQ(parsed.key_id, key_.pub.key_id);
  EXPECT_NE(key_.pub.key_id, other_.pub.key_id);
}

TEST_F(SigningTest, LoadRefusesGroupOrOtherPermissionNamingFileAndMode) {
  for (int mode : {0640, 0604, 0644, 0620, 0602, 0610}) {
    ASSERT_EQ(::chmod(key_.priv_path.c_str(), mode), 0);
    PrivateKey k;
    Status st = PrivateKey::Load(key_.priv_path, &k);
    EXPECT_TRUE(st.IsPermissionDenied()) << std::oct << mode << " " << st.ToString();
    EXPECT_NE(st.message().find(key_.priv_path), std::string::npos) << st.message();
    char want[8];
    std::snprintf(want, sizeof(want), "%04o", mode);
    EXPECT_NE(st.message().find(want), std::string::npos) << st.message();
  }
  ASSERT_EQ(::chmod(key_.priv_path.c_str(), 0400), 0);
  PrivateKey k;
  EXPECT_TRUE(PrivateKey::Load(key_.priv_path, &k).ok());
}

TEST_F(SigningTest, LoadRefusesSymlinkMissingAndGarbage) {
  std::string link = tmp_.Join("link.key");
  ASSERT_EQ(::symlink(key_.priv_path.c_str(), link.c_str()), 0);
  PrivateKey k;
  Status st = PrivateKey::Load(link, &k);
  EXPECT_TRUE(st.IsPermissionDenied()) << st.ToString();
  st = PrivateKey::Load(tmp_.Join("absent.key"), &k);
  EXPECT_TRUE(st.IsNotFound()) << st.ToString();
  std::string junk = tmp_.Join("junk.key");
  WriteText(junk, "not a key");
  ASSERT_EQ(::chmod(junk.c_str(), 0600), 0);
  st = PrivateKey::Load(junk, &k);
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_NE(st.message().find(junk), std::string::npos);
  // A public key in the private key's place is not a private key.
  std::string pub_as_priv = tmp_.Join("pub-as-priv.key");
  WriteText(pub_as_priv, key_.pub.pem);
  ASSERT_EQ(::chmod(pub_as_priv.c_str(), 0600), 0);
  EXPECT_FALSE(PrivateKey::Load(pub_as_priv, &k).ok());
}

TEST_F(SigningTest, SignAndVerifyRawMessages) {
  std::string sig;
  ASSERT_TRUE(key_.priv.Sign("hello", &sig).ok());
  EXPECT_EQ(sig.size(), 64u);
  EXPECT_TRUE(VerifySignature(key_.pub, "hello", sig).ok());
  EXPECT_TRUE(VerifySignature(key_.pub, "hellO", sig).IsPermissionDenied());
  EXPECT_TRUE(VerifySignature(other_.pub, "hello", sig).IsPermissionDenied());
  std::string flipped = sig;
  flipped[10] ^= 1;
  EXPECT_TRUE(VerifySignature(key_.pub, "hello", flipped).IsPermissionDenied());
  EXPECT_TRUE(VerifySignature(key_.pub, "hello", sig.substr(0, 63)).IsPermissionDenied());
  PrivateKey empty;
  EXPECT_FALSE(empty.Sign("x", &sig).ok());
}

TEST_F(SigningTest, ParsePublicKeyRefusesGarbageAndPrivatePem) {
  PublicKey pk;
  EXPECT_TRUE(ParsePublicKey("garbage", &pk).IsInvalidArgument());
  EXPECT_TRUE(ParsePublicKey(ReadText(key_.priv_path), &pk).IsInvalidArgument());
  Status st = ReadPublicKeyFile(tmp_.Join("none.pub"), &pk);
  EXPECT_FALSE(st.ok());
  std::vector<TrustedKey> keys;
  st = LoadTrustedKeys({key_.pub_path, key_.priv_path}, &keys);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(key_.priv_path), std::string::npos) << st.message();
  ASSERT_TRUE(LoadTrustedKeys({key_.pub_path, other_.pub_path}, &keys).ok());
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[1].key.key_id, other_.pub.key_id);
}

TEST_F(SigningTest, MovedPrivateKeyKeepsWorking) {
  PrivateKey a;
  ASSERT_TRUE(PrivateKey::Load(key_.priv_path, &a).ok());
  PrivateKey b(std::move(a));
  std::string sig;
  EXPECT_TRUE(b.Sign("m", &sig).ok());
  PrivateKey c;
  c = std::move(b);
  EXPECT_TRUE(c.Sign("m", &sig).ok());
  EXPECT_TRUE(VerifySignature(key_.pub, "m", sig).ok());
}

}  // namespace
}  // namespace mlops::signing::testing
