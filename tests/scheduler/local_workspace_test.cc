// LocalWorkspace on a real temporary folder: the stat cache, the run
// folders made once, and restores through the artifact store.
#include "scheduler/local_workspace.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "mlops/common/files.h"
#include "mlops/common/sha256.h"

namespace mlops::scheduler {
namespace {

using namespace std::chrono_literals;

class LocalWorkspaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/mlops-ws-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    ASSERT_NE(::mkdtemp(buf.data()), nullptr);
    dir_ = buf.data();
  }
  void TearDown() override { (void)RemoveTree(dir_); }

  std::string Write(const std::string& name, const std::string& content) {
    std::string path = JoinPath(dir_, name);
    EXPECT_TRUE(MakeDirs(DirName(path)).ok());
    EXPECT_TRUE(WriteFileAtomic(path, content).ok());
    return path;
  }

  std::string dir_;
};

TEST_F(LocalWorkspaceTest, UnchangedFilesAreHashedOnce) {
  registry::ArtifactStore store(JoinPath(dir_, "state/artifacts"));
  LocalWorkspace ws(JoinPath(dir_, "state"), &store, /*racy_window=*/0ms);
  std::string path = Write("src/data.csv", "a,b\n1,2\n");
  std::string sha;
  ASSERT_TRUE(ws.Digest(path, &sha).ok());
  EXPECT_EQ(sha, Sha256Hex("a,b\n1,2\n"));
  ASSERT_TRUE(ws.Digest(path, &sha).ok());
  EXPECT_EQ(ws.files_read(), 1);
  EXPECT_EQ(ws.stat_cache_hits(), 1);
  EXPECT_FALSE(store.Contains(sha)) << "Digest stores nothing";

  // A changed file (another inode, size and times) is read again.
  Write("src/data.csv", "a,b\n1,2\n3,4\n");
  ASSERT_TRUE(ws.Digest(path, &sha).ok());
  EXPECT_EQ(sha, Sha256Hex("a,b\n1,2\n3,4\n"));
  EXPECT_EQ(ws.files_read(), 2);
  // So is one replaced by a file of the same size.
  ASSERT_TRUE(WriteFileAtomic(path + ".new", "x,y\n5,6\n7,8\n").ok());
  ASSERT_EQ(::rename((path + ".new").c_str(), path.c_str()), 0);
  ASSERT_TRUE(ws.Digest(path, &sha).ok());
  EXPECT_EQ(sha, Sha256Hex("x,y\n5,6\n7,8\n"));

  EXPECT_TRUE(ws.Digest(JoinPath(dir_, "src/missing.csv"), &sha).IsNotFound());
  ASSERT_EQ(::symlink(path.c_str(), JoinPath(dir_, "src/link.csv").c_str()), 0);
  EXPECT_TRUE(ws.Digest(JoinPath(dir_, "src/link.csv"), &sha).IsInvalidArgument());
}

TEST_F(LocalWorkspaceTest, RecentlyChangedFilesAreNotRemembered) {
  registry::ArtifactStore store(JoinPath(dir_, "state/artifacts"));
  LocalWorkspace ws(JoinPath(dir_, "state"), &store);  // the default 1 s racy window
  std::string path = Write("src/fresh.csv", "1");
  std::string sha;
  ASSERT_TRUE(ws.Digest(path, &sha).ok());
  ASSERT_TRUE(ws.Digest(path, &sha).ok());
  EXPECT_EQ(ws.files_read(), 2) << "a file changed just now cannot vouch for its content";
  EXPECT_EQ(ws.stat_cache_hits(), 0);
}

TEST_F(LocalWorkspaceTest, IngestSkipsReadingOnlyWhileTheContentIsStored) {
  registry::ArtifactStore store(JoinPath(dir_, "state/artifacts"));
  LocalWorkspace ws(JoinPath(dir_, "state"), &store, 0ms);
  std::string path = Write("ws/model.pt", "weights");
  registry::ArtifactRecord first, again;
  ASSERT_TRUE(ws.Ingest(path, &first).ok());
  ASSERT_TRUE(ws.Ingest(path, &again).ok());
  EXPECT_EQ(ws.files_read(), 1);
  EXPECT_EQ(again.sha256, first.sha256);
  EXPECT_EQ(again.size, 7);
  EXPECT_EQ(again.media_type, "application/octet-stream");
  // The stored copy is gone: read and store it again.
  ASSERT_EQ(::unlink(store.PathFor(first.sha256).c_str()), 0);
  ASSERT_TRUE(ws.Ingest(path, &again).ok());
  EXPECT_EQ(ws.files_read(), 2);
  EXPECT_TRUE(store.Contains(first.sha256));
}

TEST_F(LocalWorkspaceTest, RunFoldersAreMadeOncePerRun) {
  registry::ArtifactStore store(JoinPath(dir_, "state/artifacts"));
  LocalWorkspace ws(JoinPath(dir_, "state"), &store);
  std::string log = ws.LogPath(7, "train", 1);
  EXPECT_EQ(log, JoinPath(dir_, "state/logs/run-7/train.1.log"));
  EXPECT_TRUE(PathExists(DirName(log)));
  std::string scratch = ws.ScratchDir(7, "train");
  EXPECT_EQ(scratch, JoinPath(dir_, "state/scratch/run-7/train"));
  // The run's scratch folder exists; the stage's is made by the stage host
  // when its plugin asks for it.
  EXPECT_TRUE(PathExists(DirName(scratch)));
  EXPECT_FALSE(PathExists(scratch));
  // Later calls for the run do not look for its folders again.
  ASSERT_TRUE(RemoveTree(JoinPath(dir_, "state/logs/run-7")).ok());
  ws.LogPath(7, "train", 2);
  EXPECT_FALSE(PathExists(JoinPath(dir_, "state/logs/run-7")));
  // Prepare makes them for its run.
  std::string wsdir;
  ASSERT_TRUE(ws.Prepare(8, "", &wsdir).ok());
  EXPECT_TRUE(PathExists(JoinPath(dir_, "state/logs/run-8")));
  EXPECT_TRUE(PathExists(JoinPath(dir_, "state/scratch/run-8")));
}

TEST_F(LocalWorkspaceTest, RetireKeepsTheLastEndedWorkspacesAndEveryActiveOne) {
  registry::ArtifactStore store(JoinPath(dir_, "state/artifacts"));
  LocalWorkspace ws(JoinPath(dir_, "state"), &store);
  for (int64_t run = 1; run <= 6; ++run) {
    std::string wsdir;
    ASSERT_TRUE(ws.Prepare(run, "", &wsdir).ok());
  }
  Write("state/workspaces/notes.txt", "not a workspace");
  auto exists = [&](int run) { return PathExists(JoinPath(dir_, "state/workspaces/run-" + std::to_string(run))); };
  // Runs end in another order than their ids: the ones that ended first go.
  ws.Retire(3, /*keep=*/2);
  ws.Retire(1, /*keep=*/2);
  EXPECT_TRUE(exists(3));
  ws.Retire(5, /*keep=*/2);
  EXPECT_FALSE(exists(3));
  EXPECT_TRUE(exists(1));
  EXPECT_TRUE(exists(5));
  for (int run : {2, 4, 6}) EXPECT_TRUE(exists(run)) << "an active run's workspace was removed";
  EXPECT_TRUE(PathExists(JoinPath(dir_, "state/workspaces/notes.txt")));
}

TEST_F(LocalWorkspaceTest, WorkspacesLeftByAnEarlierDaemonGoFirst) {
  registry::ArtifactStore store(JoinPath(dir_, "state/artifacts"));
  {
    LocalWorkspace earlier(JoinPath(dir_, "state"), &store);
    for (int64_t run : {4, 2}) {
      std::string wsdir;
      ASSERT_TRUE(earlier.Prepare(run, "", &wsdir).ok());
    }
  }
  LocalWorkspace ws(JoinPath(dir_, "state"), &store);
  std::string wsdir;
  ASSERT_TRUE(ws.Prepare(7, "", &wsdir).ok());
  auto exists = [&](int run) { return PathExists(JoinPath(dir_, "state/workspaces/run-" + std::to_string(run))); };
  ws.Retire(7, /*keep=*/2);
  EXPECT_FALSE(exists(2));
  EXPECT_TRUE(exists(4));
  EXPECT_TRUE(exists(7));
}

TEST_F(LocalWorkspaceTest, RestoreLinksWhenTheStoreLinks) {
  registry::ArtifactStore store(JoinPath(dir_, "state/artifacts"),
                                registry::ArtifactStore::RestoreMode::kLink);
  LocalWorkspace ws(JoinPath(dir_, "state"), &store);
  registry::ArtifactRecord rec;
  ASSERT_TRUE(ws.Ingest(Write("out/a.txt", "A"), &rec).ok());
  std::string wsdir;
  ASSERT_TRUE(ws.Prepare(1, "", &wsdir).ok());
  ASSERT_TRUE(ws.Restore(rec.sha256, JoinPath(wsdir, "sub/a.txt")).ok());
  struct stat stored, restored;
  ASSERT_EQ(::stat(store.PathFor(rec.sha256).c_str(), &stored), 0);
  ASSERT_EQ(::stat(JoinPath(wsdir, "sub/a.txt").c_str(), &restored), 0);
  EXPECT_EQ(stored.st_ino, restored.st_ino);
  EXPECT_TRUE(ws.Has(rec.sha256));
}

}  // namespace
}  // namespace mlops::scheduler
