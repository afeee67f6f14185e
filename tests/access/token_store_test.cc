// TokenStore on a real SQLite registry file, the bootstrap admin token and
// the state folder's permissions.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "access/bootstrap.h"
#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "mlops/registry/token_store.h"

namespace mlops::registry {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int ModeOf(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
}

// Every text cell of api_tokens, through a connection of the test's own.
std::vector<std::string> AllCells(const std::string& db_path) {
  std::vector<std::string> out;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT * FROM api_tokens", -1, &s, nullptr), SQLITE_OK);
  while (sqlite3_step(s) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(s); ++i) {
      const unsigned char* t = sqlite3_column_text(s, i);
      out.emplace_back(t ? reinterpret_cast<const char*>(t) : "");
    }
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

class TokenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mlops-tokens-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    db_ = dir_ + "/registry.db";
    ASSERT_TRUE(OpenSqliteTokenStore(db_, &store_).ok());
  }
  void TearDown() override {
    store_.reset();
    ASSERT_TRUE(RemoveTree(dir_).ok());
  }

  TokenRecord Make(const std::string& name, const std::string& role, std::string* secret) {
    TokenRecord rec;
    Status s = store_->Create(name, role, "test", 1000, &rec, secret);
    EXPECT_TRUE(s.ok()) << s.message();
    return rec;
  }

  std::string dir_, db_;
  std::unique_ptr<TokenStore> store_;
};

TEST_F(TokenStoreTest, OnlyTheHashIsStoredAndTheTokenAuthenticates) {
  std::string secret;
  TokenRecord rec = Make("ci", "operator", &secret);
  EXPECT_TRUE(LooksLikeToken(secret)) << "tokens are mlt_ and 64 hex digits";
  EXPECT_EQ(rec.role, "operator");
  bool hash_found = false;
  for (const std::string& cell : AllCells(db_)) {
    EXPECT_EQ(cell.find(secret.substr(4)), std::string::npos) << "the clear token is stored";
    hash_found = hash_found || cell == Sha256Hex(secret);
  }
  EXPECT_TRUE(hash_found) << "the token's SHA-256 is not stored";
  // Nor anywhere in the file's bytes (database and WAL).
  for (const char* suffix : {"", "-wal"}) {
    EXPECT_EQ(ReadAll(db_ + suffix).find(secret.substr(4)), std::string::npos) << suffix;
  }
  TokenRecord who;
  ASSERT_TRUE(store_->Authenticate(secret, 2000, &who).ok());
  EXPECT_EQ(who.name, "ci");
  EXPECT_EQ(who.role, "operator");
  EXPECT_EQ(who.last_used_ms, 2000);
}

TEST_F(TokenStoreTest, TwoTokensDiffer) {
  std::string a, b;
  Make("a", "viewer", &a);
  Make("b", "viewer", &b);
  EXPECT_NE(a, b);
}

TEST_F(TokenStoreTest, MalformedUnknownAndRevokedTokensAreRefusedAlike) {
  std::string secret;
  TokenRecord rec = Make("x", "operator", &secret);
  TokenRecord out;
  const std::vector<std::string> bad = {"", "mlt_", "garbage", secret + "0", secret.substr(0, 20),
                                        "MLT_" + secret.substr(4), "mlt_" + std::string(64, '0'),
                                        std::string(100000, 'a')};
  for (const auto& t : bad) {
    Status s = store_->Authenticate(t, 1, &out);
    EXPECT_TRUE(s.IsPermissionDenied()) << t.substr(0, 30);
    EXPECT_EQ(s.message(), "the bearer token is not valid");
  }
  TokenRecord revoked;
  ASSERT_TRUE(store_->Revoke(rec.id, 5, &revoked).ok());
  EXPECT_EQ(revoked.revoked_ms, 5);
  Status s = store_->Authenticate(secret, 6, &out);
  EXPECT_TRUE(s.IsPermissionDenied());
  EXPECT_EQ(s.message(), "the bearer token is not valid");
  EXPECT_EQ(s.message().find(secret), std::string::npos);
  EXPECT_TRUE(store_->Revoke(rec.id, 7, &revoked).IsConflict()) << "revoked twice";
  EXPECT_TRUE(store_->Revoke(999, 7, &revoked).IsNotFound());
}

TEST_F(TokenStoreTest, NamesAreUniqueEvenAfterRevocation) {
  std::string secret;
  TokenRecord rec = Make("dup", "viewer", &secret);
  TokenRecord out;
  std::string other;
  EXPECT_TRUE(store_->Create("dup", "admin", "t", 1, &out, &other).IsConflict());
  ASSERT_TRUE(store_->Revoke(rec.id, 2, &out).ok());
  EXPECT_TRUE(store_->Create("dup", "viewer", "t", 3, &out, &other).IsConflict());
}

TEST_F(TokenStoreTest, BadRolesAndNamesAreClearErrors) {
  TokenRecord out;
  std::string secret;
  for (const char* role : {"", "root", "Admin", "viewer ", "admin' OR '1'='1"}) {
    Status s = store_->Create("n", role, "t", 1, &out, &secret);
    EXPECT_TRUE(s.IsInvalidArgument()) << role;
    EXPECT_NE(s.message().find("predictor, viewer, operator or admin"), std::string::npos);
  }
  for (const std::string& name : {std::string(""), std::string("../x"), std::string("a b"),
                                 std::string(65, 'a'), std::string("-x"), std::string("a\nb"),
                                 std::string("x'); DROP TABLE api_tokens;--")}) {
    EXPECT_TRUE(store_->Create(name, "viewer", "t", 1, &out, &secret).IsInvalidArgument()) << name;
  }
  std::vector<TokenRecord> all;
  ASSERT_TRUE(store_->List(&all).ok());
  EXPECT_TRUE(all.empty());
  // The CHECK constraint holds even past the code's own check.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
  int rc = sqlite3_exec(db,
                        "INSERT INTO api_tokens (name, role, token_sha256, created_ms, created_by) "
                        "VALUES ('z', 'root', 'h', 1, 't')",
                        nullptr, nullptr, nullptr);
  sqlite3_close(db);
  EXPECT_EQ(rc, SQLITE_CONSTRAINT);
}

TEST_F(TokenStoreTest, ListAndCountLiveAdmins) {
  std::string s;
  Make("v", "viewer", &s);
  TokenRecord a1 = Make("a1", "admin", &s);
  Make("a2", "admin", &s);
  int admins = 0;
  ASSERT_TRUE(store_->CountLiveAdmins(&admins).ok());
  EXPECT_EQ(admins, 2);
  TokenRecord out;
  ASSERT_TRUE(store_->Revoke(a1.id, 9, &out).ok());
  ASSERT_TRUE(store_->CountLiveAdmins(&admins).ok());
  EXPECT_EQ(admins, 1);
  // The last live admin token stays.
  Status last = store_->Revoke(a1.id + 1, 10, &out);
  EXPECT_TRUE(last.IsConflict());
  EXPECT_NE(last.message().find("last live admin token"), std::string::npos) << last.message();
  std::vector<TokenRecord> all;
  ASSERT_TRUE(store_->List(&all).ok());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].name, "a1");
  EXPECT_EQ(all[1].revoked_ms, 9);
  TokenRecord one;
  ASSERT_TRUE(store_->Get(a1.id, &one).ok());
  EXPECT_EQ(one.name, "a1");
  EXPECT_EQ(one.revoked_ms, 9);
  EXPECT_TRUE(store_->Get(12345, &one).IsNotFound());
}

TEST_F(TokenStoreTest, RolesAreOrdered) {
  EXPECT_LT(RoleRank("viewer"), RoleRank("operator"));
  EXPECT_LT(RoleRank("operator"), RoleRank("admin"));
  EXPECT_EQ(RoleRank("root"), -1);
  // predictor is outside the API's order: it reads nothing there.
  EXPECT_EQ(RoleRank("predictor"), -1);
  EXPECT_TRUE(IsTokenRole("predictor"));
  EXPECT_FALSE(IsTokenRole("root"));
  EXPECT_EQ(RoleRank(""), -1);
}

TEST_F(TokenStoreTest, BootstrapMakesOneAdminTokenInA0600File) {
  bool created = false;
  ASSERT_TRUE(access::EnsureAdminToken(store_.get(), dir_, 100, &created).ok());
  EXPECT_TRUE(created);
  const std::string file = dir_ + "/admin.token";
  EXPECT_EQ(ModeOf(file), 0600);
  std::string token = ReadAll(file);
  ASSERT_FALSE(token.empty());
  ASSERT_EQ(token.back(), '\n');
  token.pop_back();
  TokenRecord who;
  ASSERT_TRUE(store_->Authenticate(token, 200, &who).ok());
  EXPECT_EQ(who.name, "bootstrap-admin");
  EXPECT_EQ(who.role, "admin");
  // A live admin exists: nothing new.
  ASSERT_TRUE(access::EnsureAdminToken(store_.get(), dir_, 300, &created).ok());
  EXPECT_FALSE(created);
  EXPECT_EQ(ReadAll(file), token + "\n");
  // Every admin token revoked (the API refuses to revoke the last one; a
  // registry edited by hand can still get there): the next start makes
  // another, under a new name.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE api_tokens SET revoked_ms = 400", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  ASSERT_TRUE(access::EnsureAdminToken(store_.get(), dir_, 500, &created).ok());
  EXPECT_TRUE(created);
  std::string again = ReadAll(file);
  again.pop_back();
  EXPECT_NE(again, token);
  ASSERT_TRUE(store_->Authenticate(again, 600, &who).ok());
  EXPECT_EQ(who.name, "bootstrap-admin-2");
}

TEST_F(TokenStoreTest, StatePermissionsAreTightened) {
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(db_.c_str(), 0644), 0);
  ASSERT_TRUE(access::EnforceStatePermissions(dir_).ok());
  EXPECT_EQ(ModeOf(dir_), 0700);
  EXPECT_EQ(ModeOf(db_), 0600);
  if (::access((db_ + "-wal").c_str(), F_OK) == 0) {
    EXPECT_EQ(ModeOf(db_ + "-wal"), 0600);
  }
  // A symlink in place of the database is refused, not followed.
  const std::string other = dir_ + "/other";
  ASSERT_TRUE(MakeDirs(other, 0700).ok());
  ASSERT_EQ(::symlink(db_.c_str(), (other + "/registry.db").c_str()), 0);
  Status s = access::EnforceStatePermissions(other);
  EXPECT_TRUE(s.IsPermissionDenied()) << s.message();
  EXPECT_NE(s.message().find("symbolic link"), std::string::npos);
}

}  // namespace
}  // namespace mlops::registry
