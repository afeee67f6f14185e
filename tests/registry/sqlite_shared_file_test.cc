// The daemon opens several connections to registry.db (runs, tokens,
// models). Opening one must not release the locks another holds: POSIX
// drops every lock of a process on a file when any descriptor of that file
// is closed. Were the SHARED lock gone, an outside `sqlite3` that closes
// after a write transaction would take the file as its last user and
// reset the WAL the daemon still writes to; the daemon's later commits
// would then never reach the file that another process (or the daemon
// after kill -9) reads.
#include <gtest/gtest.h>
#include <cstdio>
#include <cstdlib>

#include "mlops/registry/store.h"
#include "store_conformance.h"
#include "temp_dir.h"

namespace mlops::registry {
namespace {

bool HaveSqliteCli() { return std::system("command -v sqlite3 >/dev/null") == 0; }

// The status of run `id` as a `sqlite3` shell (a process of its own, fresh
// from exec: SQLite's lock bookkeeping does not survive fork) finds it,
// after an empty write transaction with `write` (as Litestream makes).
std::string StatusSeenByAnotherProcess(const std::string& path, int64_t id, bool write = false) {
  const std::string sql = std::string(write ? "BEGIN IMMEDIATE; COMMIT; " : "") +
                          "SELECT status FROM runs WHERE id = " + std::to_string(id) + ";";
  const std::string cmd = "sqlite3 -cmd '.timeout 5000' '" + path + "' '" + sql + "'";
  FILE* f = ::popen(cmd.c_str(), "r");
  if (f == nullptr) return "popen failed";
  std::string out;
  char buf[64];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  ::pclose(f);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST(SqliteSharedFileTest, ASecondConnectionKeepsTheFirstOnesCommitsVisibleToOthers) {
  if (!HaveSqliteCli()) GTEST_SKIP() << "no sqlite3 command-line client to act as the other process";
  testing::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string path = dir.Join("registry.db");
  std::unique_ptr<Store> store;
  ASSERT_TRUE(OpenSqliteStore(path, &store).ok());
  RunRecord run;
  ASSERT_TRUE(AddPipelineAndRun(store.get(), "p", &run));

  std::unique_ptr<Store> second;  // as the token store and model registry open theirs
  ASSERT_TRUE(OpenSqliteStore(path, &second).ok());
  EXPECT_EQ(StatusSeenByAnotherProcess(path, run.id, /*write=*/true), "queued");

  run.status = RunStatus::kSucceeded;
  ASSERT_TRUE(store->UpdateRun(run).ok());
  EXPECT_EQ(StatusSeenByAnotherProcess(path, run.id), "succeeded")
      << "a commit of the first connection is missing from the file";
}

}  // namespace
}  // namespace mlops::registry
