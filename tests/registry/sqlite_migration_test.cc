// Upgrades of registry files written by older builds, and what the trigger
// tables must keep across a reopen.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "mlops/registry/store.h"
#include "sqlite_schema.h"
#include "temp_dir.h"

namespace mlops::registry {
namespace {

void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << msg;
}

int UserVersion(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  int v = sqlite3_column_int(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return v;
}

class SqliteMigrationTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }
  testing::TempDir dir_;
  std::string path_ = dir_.Join("registry.db");
};

// A file written by a build that knew only migration 1, with a finished run
// in it, is upgraded in place: the run is kept and the trigger tables work,
// also for that old run.
TEST_F(SqliteMigrationTest, VersionOneFileUpgradesInPlace) {
  ASSERT_GE(SchemaVersion(), 2);
  const char* v1 = internal::MigrationSql(1);
  ASSERT_NE(v1, nullptr);
  RawExec(path_, std::string(v1) +
                     "INSERT INTO pipelines VALUES (1, 'train', '" + Sha256Hex("def") +
                     "', 'def', '/src', 100, 1);"
                     "INSERT INTO runs VALUES (1, 1, 'manual', 'r', '', 0, 'succeeded', '', "
                     "200, 210, 290, 0);"
                     "PRAGMA user_version = 1;");
  ASSERT_EQ(UserVersion(path_), 1);

  std::unique_ptr<Store> store;
  Status st = OpenSqliteStore(path_, &store);
  ASSERT_TRUE(st.ok()) << st.ToString();
  RunRecord run;
  ASSERT_TRUE(store->GetRun(1, &run).ok());
  EXPECT_EQ(run.pipeline_name, "train");
  EXPECT_EQ(run.status, RunStatus::kSucceeded);
  EXPECT_EQ(run.finished_ms, 290);

  DataVersionRecord dv{0, "/data/x.csv", Sha256Hex("x"), 1, 1, 0, 0};
  bool is_new = false;
  ASSERT_TRUE(store->RecordDataVersion(&dv, &is_new).ok());
  ASSERT_TRUE(store->LinkRunDataVersion(1, dv.id).ok());
  std::vector<RunRecord> runs;
  ASSERT_TRUE(store->ListDataVersionRuns(dv.id, &runs).ok());
  ASSERT_EQ(runs.size(), 1u);
  RepositoryRecord repo;
  repo.name = "demo";
  repo.url = "/srv/git/demo.git";
  repo.branches = {"main"};
  ASSERT_TRUE(store->UpsertRepository(&repo).ok());
  store.reset();
  EXPECT_EQ(UserVersion(path_), SchemaVersion());
  EXPECT_TRUE(CheckSqliteIntegrity(path_).ok());
}

TEST_F(SqliteMigrationTest, ReplayProtectionSurvivesARestart) {
  {
    std::unique_ptr<Store> store;
    ASSERT_TRUE(OpenSqliteStore(path_, &store).ok());
    ASSERT_TRUE(store->RecordDelivery({"github", "72d3162e-cc78-11e3-81ab-4c9367dc0958", 0,
                                       "accepted"})
                    .ok());
    RepositoryRecord repo;
    repo.name = "demo";
    repo.url = "/srv/git/demo.git";
    repo.branches = {"main"};
    ASSERT_TRUE(store->UpsertRepository(&repo).ok());
    CommitRecord c;
    c.repository = "demo";
    c.branch = "main";
    c.sha = std::string(40, 'e');
    bool inserted = false;
    ASSERT_TRUE(store->RecordCommit(&c, &inserted).ok());
  }
  std::unique_ptr<Store> store;
  ASSERT_TRUE(OpenSqliteStore(path_, &store).ok());
  Status st = store->RecordDelivery({"github", "72d3162e-cc78-11e3-81ab-4c9367dc0958", 0, ""});
  EXPECT_TRUE(st.IsConflict()) << st.ToString();
  // A commit that was pending when the daemon stopped is still there to be
  // offered again.
  CommitFilter pending;
  pending.status = {CommitStatus::kPending};
  std::vector<CommitRecord> commits;
  ASSERT_TRUE(store->ListCommits(pending, &commits).ok());
  ASSERT_EQ(commits.size(), 1u);
  EXPECT_EQ(commits[0].repository, "demo");
}

TEST_F(SqliteMigrationTest, SchemaRejectsAnUnknownCommitStatus) {
  {
    std::unique_ptr<Store> store;
    ASSERT_TRUE(OpenSqliteStore(path_, &store).ok());
    RepositoryRecord repo;
    repo.name = "demo";
    repo.branches = {"main"};
    ASSERT_TRUE(store->UpsertRepository(&repo).ok());
  }
  // The CHECK constraint keeps a bad status out of the table itself.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  int rc = sqlite3_exec(db,
                        "INSERT INTO commits (repository_id, sha, branch, origin, seen_ms, status, "
                        "superseded_by, reason) VALUES (1, 'x', 'main', '', 0, 'exploded', '', '')",
                        nullptr, nullptr, nullptr);
  sqlite3_close(db);
  EXPECT_EQ(rc, SQLITE_CONSTRAINT);
}

}  // namespace
}  // namespace mlops::registry
