// The read-only registry mlops-serve opens: it sees what mlopsd writes,
// writes nothing (token checks included), and refuses a schema it does not
// know. A real registry.db file, written by a read-write connection.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "../registry/temp_dir.h"
#include "mlops/common/sha256.h"
#include "mlops/registry/model_registry.h"
#include "mlops/registry/store.h"
#include "mlops/registry/token_store.h"

namespace mlops::registry {
namespace {

std::string FileSha(const std::string& path) {
  std::string data;
  EXPECT_TRUE(ReadFile(path, &data).ok());
  return Sha256Hex(data);
}

void SetUserVersion(const std::string& path, int v) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const std::string sql = "PRAGMA user_version = " + std::to_string(v);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

class RegistryReadOnlyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(OpenSqliteModelRegistry(db_, &writer_).ok());
    ASSERT_TRUE(OpenSqliteTokenStore(db_, &tokens_).ok());
  }
  testing::TempDir dir_;
  std::string db_ = dir_.Join("registry.db");
  std::unique_ptr<ModelRegistry> writer_;
  std::unique_ptr<TokenStore> tokens_;
};

TEST_F(RegistryReadOnlyTest, SeesTheWritersCommitsAndCannotWrite) {
  std::unique_ptr<ModelRegistry> ro;
  Status s = OpenSqliteModelRegistryReadOnly(db_, &ro);
  ASSERT_TRUE(s.ok()) << s.message();
  std::vector<ModelRecord> models;
  ASSERT_TRUE(ro->ListModels(&models).ok());
  EXPECT_TRUE(models.empty());

  ModelVersionRecord v;
  v.model = "iris";
  v.artifact_sha256 = std::string(64, 'a');
  ASSERT_TRUE(writer_->RegisterVersion("iris", "t", 1, &v).ok());
  ASSERT_TRUE(ro->ListModels(&models).ok());
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0].name, "iris");

  ModelVersionRecord w;
  w.model = "iris";
  Status write = ro->RegisterVersion("iris", "t", 2, &w);
  EXPECT_TRUE(write.IsPermissionDenied()) << write.ToString();
  std::vector<ModelVersionRecord> versions;
  ASSERT_TRUE(writer_->ListVersions("iris", &versions).ok());
  EXPECT_EQ(versions.size(), 1u);
}

TEST_F(RegistryReadOnlyTest, AuthenticationNeverWrites) {
  TokenRecord rec;
  std::string secret;
  ASSERT_TRUE(tokens_->Create("p", "predictor", "t", 1, &rec, &secret).ok());
  std::unique_ptr<TokenStore> ro;
  ASSERT_TRUE(OpenSqliteTokenStoreReadOnly(db_, &ro).ok());
  TokenRecord seen;
  ASSERT_TRUE(ro->Authenticate(secret, 10'000'000, &seen).ok());
  EXPECT_EQ(seen.role, "predictor");
  EXPECT_EQ(seen.last_used_ms, 0);
  TokenRecord stored;
  ASSERT_TRUE(tokens_->Get(rec.id, &stored).ok());
  EXPECT_EQ(stored.last_used_ms, 0);  // a read-write store would have set it
  EXPECT_TRUE(ro->Authenticate("mlt_" + std::string(64, '0'), 1, &seen).IsPermissionDenied());
  TokenRecord other;
  std::string other_secret;
  EXPECT_TRUE(ro->Create("q", "viewer", "t", 1, &other, &other_secret).IsPermissionDenied());
}

TEST_F(RegistryReadOnlyTest, OpeningWritesNothingToTheFile) {
  writer_.reset();
  tokens_.reset();  // the last connection folds the WAL in; the file is now at rest
  const std::string before = FileSha(db_);
  {
    std::unique_ptr<ModelRegistry> ro;
    ASSERT_TRUE(OpenSqliteModelRegistryReadOnly(db_, &ro).ok());
    std::vector<ModelRecord> models;
    ASSERT_TRUE(ro->ListModels(&models).ok());
  }
  EXPECT_EQ(FileSha(db_), before);
}

TEST_F(RegistryReadOnlyTest, RefusesSchemasItDoesNotKnow) {
  writer_.reset();
  tokens_.reset();
  SetUserVersion(db_, SchemaVersion() + 1);
  std::unique_ptr<ModelRegistry> ro;
  Status s = OpenSqliteModelRegistryReadOnly(db_, &ro);
  ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("is newer than this build knows"), std::string::npos) << s.message();
  SetUserVersion(db_, SchemaVersion() - 1);
  s = OpenSqliteModelRegistryReadOnly(db_, &ro);
  ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("start mlopsd to migrate it"), std::string::npos) << s.message();
}

TEST(RegistryReadOnly, AMissingRegistryIsNotCreated) {
  testing::TempDir dir;
  std::unique_ptr<ModelRegistry> ro;
  Status s = OpenSqliteModelRegistryReadOnly(dir.Join("registry.db"), &ro);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  struct stat st;
  EXPECT_NE(::stat(dir.Join("registry.db").c_str(), &st), 0);
}

}  // namespace
}  // namespace mlops::registry
