// mlops-serve's token cache over a real registry.db: an accepted token is
// answered from memory until kTokenCacheTtl has passed, then checked again,
// so a revocation made by mlopsd (the writer) takes effect within that
// bound; refused tokens are never remembered.
#include "serving/server/token_cache.h"

#include <gtest/gtest.h>

#include "../registry/temp_dir.h"

namespace mlops::serving {
namespace {

class TokenCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry::OpenSqliteTokenStore(db_, &writer_).ok());
    ASSERT_TRUE(writer_->Create("p", "predictor", "t", 1, &created_, &secret_).ok());
    ASSERT_TRUE(registry::OpenSqliteTokenStoreReadOnly(db_, &reader_).ok());
  }
  testing::TempDir dir_;
  std::string db_ = dir_.Join("registry.db");
  std::unique_ptr<registry::TokenStore> writer_, reader_;
  registry::TokenRecord created_;
  std::string secret_;
  FakeClock clock_;
};

TEST_F(TokenCacheTest, RevocationTakesEffectWithinTheTtl) {
  TokenCache cache(reader_.get(), &clock_);
  registry::TokenRecord rec;
  ASSERT_TRUE(cache.Authenticate(secret_, &rec).ok());
  EXPECT_EQ(rec.name, "p");
  EXPECT_EQ(rec.role, "predictor");

  registry::TokenRecord revoked;
  ASSERT_TRUE(writer_->Revoke(created_.id, 2, &revoked).ok());
  // Within the bound the remembered check answers (the registry is not asked).
  clock_.Advance(kTokenCacheTtl - Duration(1));
  registry::TokenRecord cached;
  ASSERT_TRUE(cache.Authenticate(secret_, &cached).ok());
  EXPECT_EQ(cached.name, "p");
  // At the bound the registry is asked again, and refuses.
  clock_.Advance(Duration(1));
  EXPECT_TRUE(cache.Authenticate(secret_, &rec).IsPermissionDenied());
  clock_.Advance(kTokenCacheTtl);
  EXPECT_TRUE(cache.Authenticate(secret_, &rec).IsPermissionDenied());
}

TEST_F(TokenCacheTest, RefusedTokensAreNotRemembered) {
  TokenCache cache(reader_.get(), &clock_);
  registry::TokenRecord rec;
  std::string secret2;
  registry::TokenRecord created2;
  // A well-formed secret of a token that does not exist yet cannot be
  // guessed; an unknown one is refused on every try.
  EXPECT_FALSE(cache.Authenticate(secret_ + "x", &rec).ok());
  EXPECT_FALSE(cache.Authenticate("", &rec).ok());
  ASSERT_TRUE(writer_->Create("q", "predictor", "t", 1, &created2, &secret2).ok());
  ASSERT_TRUE(cache.Authenticate(secret2, &rec).ok());
  EXPECT_EQ(rec.name, "q");
}

}  // namespace
}  // namespace mlops::serving
