#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "mlops/registry/store.h"
#include "sqlite_schema.h"
#include "store_conformance.h"
#include "temp_dir.h"

namespace mlops::registry {
namespace {

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance,
                         ::testing::Values(StoreBackend{
                             "sqlite",
                             [](const std::string& dir, std::unique_ptr<Store>* out) {
                               return OpenSqliteStore(JoinPath(dir, "registry.db"), out);
                             }}),
                         StoreBackendName);

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }

  // Runs `sql` on a connection of the test's own.
  static void RawExec(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << msg;
  }

  std::string Pragma(internal::SqliteDb* db, const char* sql) {
    std::string value;
    Status st = db->QueryPragma(sql, &value);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return value;
  }

  testing::TempDir dir_;
  std::string path_ = dir_.Join("registry.db");
};

TEST_F(SqliteStoreTest, ConnectionRunsWithWalNormalSyncAndForeignKeys) {
  std::unique_ptr<internal::SqliteDb> db;
  Status st = internal::OpenRegistryDb(path_, &db);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Pragma(db.get(), "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(Pragma(db.get(), "PRAGMA synchronous"), "1");  // NORMAL
  EXPECT_EQ(Pragma(db.get(), "PRAGMA foreign_keys"), "1");
  EXPECT_EQ(Pragma(db.get(), "PRAGMA busy_timeout"), "5000");
  EXPECT_EQ(Pragma(db.get(), "PRAGMA user_version"), std::to_string(SchemaVersion()));
  // Foreign keys are enforced, not merely declared.
  Status orphan = db->Exec(
      "INSERT INTO runs (pipeline_id, triggered_by, reason, commit_id, force, status, error, "
      "queued_ms, started_ms, finished_ms, recovery_count) "
      "VALUES (4242, 'manual', '', '', 0, 'queued', '', 0, 0, 0, 0)");
  EXPECT_TRUE(orphan.IsConflict()) << orphan.ToString();
}

TEST_F(SqliteStoreTest, FileRecordsSchemaVersionAndWal) {
  std::unique_ptr<Store> store;
  ASSERT_TRUE(OpenSqliteStore(path_, &store).ok());
  store.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), SchemaVersion());
  sqlite3_finalize(stmt);
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  EXPECT_GE(SchemaVersion(), 1);
}

// A schema version no build has reached yet.
const std::string kNewer = std::to_string(SchemaVersion() + 1);

TEST_F(SqliteStoreTest, NewerSchemaIsRefusedAndLeftUntouched) {
  RawExec(path_,
          "CREATE TABLE future (x INTEGER); INSERT INTO future VALUES (1); "
          "PRAGMA user_version = " + kNewer + ";");
  std::string before;
  ASSERT_TRUE(ReadFile(path_, &before).ok());

  std::unique_ptr<Store> store;
  Status st = OpenSqliteStore(path_, &store);
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_NE(st.message().find("registry schema version " + kNewer + " is newer than this mlopsd supports (" +
                              std::to_string(SchemaVersion()) + "); upgrade mlopsd"),
            std::string::npos)
      << st.message();
  EXPECT_EQ(store, nullptr);

  std::string after;
  ASSERT_TRUE(ReadFile(path_, &after).ok());
  EXPECT_EQ(after, before);
  EXPECT_FALSE(PathExists(path_ + "-wal"));
}

// A newer mlopsd that died left committed pages in its WAL; refusing the
// file must not checkpoint them into it.
TEST_F(SqliteStoreTest, NewerSchemaWithPendingWalIsLeftUntouched) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         ("PRAGMA journal_mode = WAL; CREATE TABLE future (x); "
                          "PRAGMA user_version = " + kNewer + ";").c_str(),
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "INSERT INTO future VALUES (1)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  sqlite3_close(db);
  std::string main_before, wal_before;
  ASSERT_TRUE(ReadFile(path_, &main_before).ok());
  ASSERT_TRUE(ReadFile(path_ + "-wal", &wal_before).ok());
  ASSERT_FALSE(wal_before.empty());

  std::unique_ptr<Store> store;
  Status st = OpenSqliteStore(path_, &store);
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_NE(st.message().find("schema version " + kNewer), std::string::npos) << st.message();

  std::string main_after, wal_after;
  ASSERT_TRUE(ReadFile(path_, &main_after).ok());
  ASSERT_TRUE(ReadFile(path_ + "-wal", &wal_after).ok());
  EXPECT_EQ(main_after, main_before);
  EXPECT_EQ(wal_after, wal_before);
}

TEST_F(SqliteStoreTest, ReopenKeepsEverything) {
  int64_t attempt_id = 0;
  {
    std::unique_ptr<Store> store;
    ASSERT_TRUE(OpenSqliteStore(path_, &store).ok());
    PipelineRecord p;
    p.name = "p";
    p.definition_sha256 = Sha256Hex("p");
    ASSERT_TRUE(store->UpsertPipeline(&p).ok());
    RunRecord run;
    run.pipeline_id = p.id;
    ASSERT_TRUE(store->CreateRun(&run).ok());
    StageAttemptRecord a;
    a.run_id = run.id;
    a.stage = "s";
    ASSERT_TRUE(store->CreateAttempt(&a).ok());
    attempt_id = a.id;
    AttemptResult r;
    r.attempt = a;
    r.attempt.status = AttemptStatus::kSucceeded;
    r.metrics = {{"acc", 0.75, 1, 5}};
    r.artifacts = {{Sha256Hex("out"), 3, "text/plain", 9}};
    r.edges = {{0, Sha256Hex("out"), EdgeKind::kProduced, "out.txt"}};
    ASSERT_TRUE(store->FinishAttempt(r).ok());
  }
  std::unique_ptr<Store> store;
  Status st = OpenSqliteStore(path_, &store);
  ASSERT_TRUE(st.ok()) << st.ToString();
  StageAttemptRecord a;
  ASSERT_TRUE(store->GetAttempt(attempt_id, &a).ok());
  EXPECT_EQ(a.status, AttemptStatus::kSucceeded);
  std::vector<MetricRecord> metrics;
  ASSERT_TRUE(store->ListMetrics(attempt_id, &metrics).ok());
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_EQ(metrics[0].value, 0.75);
  LineageGraph g;
  ASSERT_TRUE(store->LineageUpstream(Sha256Hex("out"), &g).ok());
  ASSERT_EQ(g.attempts.size(), 1u);
  EXPECT_EQ(g.attempts[0].id, attempt_id);
  PipelineRecord p;
  EXPECT_TRUE(store->GetPipelineByName("p", &p).ok());
}

TEST_F(SqliteStoreTest, DatabaseFilesArePrivate) {
  std::unique_ptr<Store> store;
  ASSERT_TRUE(OpenSqliteStore(path_, &store).ok());
  PipelineRecord p;
  p.name = "p";
  p.definition_sha256 = Sha256Hex("p");
  ASSERT_TRUE(store->UpsertPipeline(&p).ok());
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((path_ + "-wal").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(SqliteStoreTest, IntegrityCheckPassesOnAHealthyFile) {
  std::unique_ptr<Store> store;
  ASSERT_TRUE(OpenSqliteStore(path_, &store).ok());
  PipelineRecord p;
  p.name = "p";
  p.definition_sha256 = Sha256Hex("p");
  ASSERT_TRUE(store->UpsertPipeline(&p).ok());
  Status st = CheckSqliteIntegrity(path_);
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST_F(SqliteStoreTest, IntegrityCheckFailsOnACorruptFile) {
  {
    std::unique_ptr<Store> store;
    ASSERT_TRUE(OpenSqliteStore(path_, &store).ok());
    PipelineRecord p;
    for (int i = 0; i < 200; ++i) {
      p = PipelineRecord();
      p.name = "pipeline-" + std::to_string(i);
      p.definition = std::string(500, 'x');
      p.definition_sha256 = Sha256Hex(p.name);
      ASSERT_TRUE(store->UpsertPipeline(&p).ok());
    }
  }  // closing checkpoints the WAL into the file
  std::string bytes;
  ASSERT_TRUE(ReadFile(path_, &bytes).ok());
  ASSERT_GT(bytes.size(), 8192u);
  // Scribble over pages 2 and 3 (b-tree pages of the first tables).
  for (size_t i = 4096; i < 3 * 4096; ++i) bytes[i] = static_cast<char>(i * 7);
  ASSERT_TRUE(WriteFileAtomic(path_, bytes, 0600).ok());
  EXPECT_FALSE(CheckSqliteIntegrity(path_).ok());
}

TEST_F(SqliteStoreTest, GarbageFileIsReportedAsCorruption) {
  ASSERT_TRUE(WriteFileAtomic(path_, std::string(4096, 'z'), 0600).ok());
  std::unique_ptr<Store> store;
  Status st = OpenSqliteStore(path_, &store);
  EXPECT_TRUE(st.IsCorruption()) << st.ToString();
  EXPECT_NE(st.message().find(path_), std::string::npos);
  EXPECT_FALSE(CheckSqliteIntegrity(path_).ok());
}

TEST_F(SqliteStoreTest, MissingFolderIsAnError) {
  std::unique_ptr<Store> store;
  Status st = OpenSqliteStore(dir_.Join("no/such/dir/registry.db"), &store);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(store, nullptr);
}

}  // namespace
}  // namespace mlops::registry
