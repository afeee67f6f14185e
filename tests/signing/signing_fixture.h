// Shared set-up for the signing tests: a temp folder, a generated key pair
// and small file helpers.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>
#include <vector>

#include "mlops/common/files.h"
#include "mlops/signing/signing.h"
#include "temp_dir.h"

namespace mlops::signing::testing {

inline void WriteText(const std::string& path, const std::string& text) {
  ASSERT_TRUE(MakeDirs(DirName(path)).ok());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

inline std::string ReadText(const std::string& path) {
  std::string s;
  EXPECT_TRUE(ReadFile(path, &s).ok()) << path;
  return s;
}

// A key pair named `name` in its own temp folder, loaded.
struct TestKey {
  std::string priv_path, pub_path;
  PublicKey pub;
  PrivateKey priv;
  TrustedKey trusted() const { return TrustedKey{pub, false}; }
};

inline void MakeKey(const std::string& dir, const std::string& name, TestKey* k) {
  k->priv_path = JoinPath(dir, name + ".key");
  k->pub_path = JoinPath(dir, name + ".pub");
  Status st = GenerateKeyPair(k->priv_path, k->pub_path, &k->pub);
  ASSERT_TRUE(st.ok()) << st.ToString();
  st = PrivateKey::Load(k->priv_path, &k->priv);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

class SigningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    MakeKey(tmp_.path(), "main", &key_);
    MakeKey(tmp_.path(), "other", &other_);
  }

  // A signed envelope over `payload` (any text) with the main key.
  std::string Sign(const std::string& payload, const PrivateKey* key = nullptr) {
    std::string env;
    Status st = SignEnvelope(key ? *key : key_.priv, kPayloadType, payload, &env);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return env;
  }
  std::string SignStatement(const nlohmann::json& statement) { return Sign(statement.dump()); }

  Status Verify(const std::string& env, VerifiedStatement* out = nullptr,
                std::vector<TrustedKey> trusted = {}) {
    VerifiedStatement vs;
    if (trusted.empty()) trusted = {key_.trusted()};
    return VerifyEnvelope(env, trusted, out ? out : &vs);
  }

  mlops::testing::TempDir tmp_;
  TestKey key_, other_;
};

}  // namespace mlops::signing::testing
