// Spare stage logs: made ahead of time, moved into place when an attempt
// starts, never replacing a log that exists.
#include "process/log_file_pool.h"

#include <gtest/gtest.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "mlops/common/files.h"
#include "process/attempt_harness.h"

namespace mlops {
namespace {

using testing::TempDir;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void Append(int fd, const std::string& text) {
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fd);
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// Opens the log through the pool and closes it; the file must then exist.
void OpenAndClose(LogFilePool& pool, const std::string& path) {
  int fd = pool.OpenLog(path);
  ASSERT_GE(fd, 0) << path;
  ::close(fd);
  EXPECT_TRUE(Exists(path)) << path;
}

TEST(LogFilePoolTest, RefillsToTargetAndStops) {
  TempDir dir;
  LogFilePool pool(dir / "spare", 3, 0640);
  EXPECT_TRUE(pool.WantsRefill());
  int made = 0;
  while (pool.WantsRefill() && made < 10) made += pool.Refill();
  EXPECT_EQ(made, 3);
  EXPECT_EQ(pool.spares(), 3u);
  EXPECT_FALSE(pool.WantsRefill());
  struct stat st;
  ASSERT_EQ(::stat((dir / "spare").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(LogFilePoolTest, LogIsASpareMovedIntoPlace) {
  TempDir dir;
  MakeDirs(dir / "logs");
  LogFilePool pool(dir / "spare", 2, 0640);
  ASSERT_TRUE(pool.Refill());
  ASSERT_TRUE(pool.Refill());
  std::vector<ino_t> spare_inodes;
  if (DIR* d = ::opendir((dir / "spare").c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') spare_inodes.push_back(e->d_ino);
    }
    ::closedir(d);
  }
  ASSERT_EQ(spare_inodes.size(), 2u);
  const std::string log = dir / "logs/s0.1.log";
  int fd = pool.OpenLog(log);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(pool.taken(), 1u);
  EXPECT_EQ(pool.spares(), 1u);
  Append(fd, "first line\n");
  EXPECT_EQ(Slurp(log), "first line\n");
  struct stat st;
  ASSERT_EQ(::stat(log.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_nlink, 1u);  // moved, not linked: the spare's name is gone
  EXPECT_NE(std::find(spare_inodes.begin(), spare_inodes.end(), st.st_ino), spare_inodes.end())
      << "the log is not one of the spares";
  EXPECT_TRUE(pool.WantsRefill());
}

TEST(LogFilePoolTest, ExistingLogIsAppendedToNeverReplaced) {
  TempDir dir;
  MakeDirs(dir / "logs");
  const std::string log = dir / "logs/s0.1.log";
  WriteFileAtomic(log, "kept\n");
  LogFilePool pool(dir / "spare", 1, 0640);
  ASSERT_TRUE(pool.Refill());
  int fd = pool.OpenLog(log);
  ASSERT_GE(fd, 0);
  Append(fd, "appended\n");
  EXPECT_EQ(Slurp(log), "kept\nappended\n");
  EXPECT_EQ(pool.taken(), 0u);
  EXPECT_EQ(pool.spares(), 1u);  // still there for the next log
}

TEST(LogFilePoolTest, WithoutSparesTheLogIsCreatedWithThePoolsMode) {
  TempDir dir;
  MakeDirs(dir / "logs");
  LogFilePool none("", 4, 0640);
  EXPECT_FALSE(none.WantsRefill());
  EXPECT_FALSE(none.Refill());
  const mode_t old_mask = ::umask(022);
  int fd = none.OpenLog(dir / "logs/a.log");
  ::umask(old_mask);
  ASSERT_GE(fd, 0);
  Append(fd, "x");
  struct stat st;
  ASSERT_EQ(::stat((dir / "logs/a.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  // A folder that cannot be made: no spares, logs still open.
  WriteFileAtomic(dir / "file", "not a folder");
  LogFilePool broken(dir / "file/spare", 4, 0640);
  EXPECT_FALSE(broken.Refill());
  EXPECT_FALSE(broken.WantsRefill());
  OpenAndClose(broken, dir / "logs/b.log");
}

TEST(LogFilePoolTest, MissingLogFolderFailsAndKeepsTheSpare) {
  TempDir dir;
  LogFilePool pool(dir / "spare", 1, 0640);
  ASSERT_TRUE(pool.Refill());
  EXPECT_LT(pool.OpenLog(dir / "no-such-folder/a.log"), 0);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_EQ(pool.taken(), 0u);
  EXPECT_EQ(pool.spares(), 1u);
}

TEST(LogFilePoolTest, SpareRemovedBehindItsBackIsSkipped) {
  TempDir dir;
  MakeDirs(dir / "logs");
  LogFilePool pool(dir / "spare", 2, 0640);
  ASSERT_TRUE(pool.Refill());
  ASSERT_TRUE(pool.Refill());
  RemoveTree(dir / "spare");
  MakeDirs(dir / "spare");
  OpenAndClose(pool, dir / "logs/a.log");
  EXPECT_EQ(pool.taken(), 0u);
  EXPECT_EQ(pool.spares(), 0u);
}

TEST(LogFilePoolTest, AdoptsEmptyLeftoversOnly) {
  TempDir dir;
  MakeDirs(dir / "spare");
  WriteFileAtomic(dir / "spare/spare-1-0", "");
  WriteFileAtomic(dir / "spare/spare-1-1", "someone wrote here");
  WriteFileAtomic(dir / "spare/other", "");
  ASSERT_EQ(::symlink((dir / "spare/spare-1-0").c_str(), (dir / "spare/spare-1-2").c_str()), 0);
  LogFilePool pool(dir / "spare", 1, 0640);
  ASSERT_TRUE(pool.Refill());  // adopts spare-1-0 and needs no new one
  EXPECT_EQ(pool.spares(), 1u);
  MakeDirs(dir / "logs");
  OpenAndClose(pool, dir / "logs/a.log");
  EXPECT_EQ(pool.taken(), 1u);
  EXPECT_FALSE(Exists(dir / "spare/spare-1-0"));
  EXPECT_EQ(Slurp(dir / "spare/spare-1-1"), "someone wrote here");
}

TEST(LogFilePoolTest, SparesOnAnotherFileSystemAreGivenUp) {
  // /dev/shm is a tmpfs here; the logs are on the test's temp folder.
  TempDir dir;
  struct stat shm, tmp;
  if (::stat("/dev/shm", &shm) != 0 || ::stat(dir.path().c_str(), &tmp) != 0 ||
      shm.st_dev == tmp.st_dev) {
    GTEST_SKIP() << "needs /dev/shm on another file system than " << dir.path();
  }
  char tmpl[] = "/dev/shm/mlops-pool-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string spare_dir = std::string(tmpl) + "/spare";
  LogFilePool pool(spare_dir, 2, 0640);
  ASSERT_TRUE(pool.Refill());
  ASSERT_TRUE(pool.Refill());
  MakeDirs(dir / "logs");
  OpenAndClose(pool, dir / "logs/a.log");
  EXPECT_EQ(pool.spares(), 0u);
  EXPECT_FALSE(pool.WantsRefill());  // for good
  OpenAndClose(pool, dir / "logs/b.log");
  EXPECT_FALSE(pool.WantsRefill());
  RemoveTree(tmpl);
}

}  // namespace
}  // namespace mlops
