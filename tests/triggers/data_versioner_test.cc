#include "triggers/data_versioner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "temp_dir.h"

namespace mlops::triggers {
namespace {

using std::chrono::nanoseconds;

// Counts the files whose contents are read, and which.
class CountingDigester final : public FileDigester {
 public:
  Status Digest(int fd, const std::string& path, std::string* sha256, uint64_t* size) override {
    ++reads;
    paths.push_back(path);
    return real_.Digest(fd, path, sha256, size);
  }
  int reads = 0;
  std::vector<std::string> paths;

 private:
  Sha256FileDigester real_;
};

int64_t CtimeNs(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
}

// Returns once the clock the kernel stamps files with has moved past the
// ctime of `path`, so the next change to any file gets later timestamps.
void WaitPastTimestampOf(const std::string& path) {
  int64_t ctime = CtimeNs(path);
  for (int i = 0; i < 1000; ++i) {
    timespec now{};
    clock_gettime(CLOCK_REALTIME_COARSE, &now);
    if (static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec > ctime) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  FAIL() << "the coarse clock did not move for 1 s";
}

void SetMtime(const std::string& path, int64_t sec, int64_t nsec) {
  timespec times[2] = {{0, UTIME_OMIT}, {static_cast<time_t>(sec), nsec}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

struct timespec Mtime(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mtim;
}

class DataVersionerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }

  void Write(const std::string& rel, const std::string& content) {
    std::string path = dir_.Join(rel);
    ASSERT_TRUE(MakeDirs(DirName(path)).ok());
    ASSERT_TRUE(WriteFileAtomic(path, content).ok());
  }

  // Opens a versioner on `paths` (relative to the temp folder).
  std::unique_ptr<DataVersioner> Open(std::vector<std::string> paths,
                                      nanoseconds racy_window = nanoseconds(0),
                                      const std::string& state_file = "") {
    DataVersioner::Options o;
    for (const std::string& p : paths) o.paths.push_back(dir_.Join(p));
    o.state_file = state_file;
    o.digester = &digester_;
    o.racy_window = racy_window;
    std::unique_ptr<DataVersioner> v;
    Status st = DataVersioner::Open(o, &v);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return v;
  }

  DataScanResult ScanOne(DataVersioner* v) {
    std::vector<DataScanResult> results;
    Status st = v->Scan(&results);
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(results.size(), 1u);
    return results.empty() ? DataScanResult() : results[0];
  }

  testing::TempDir dir_;
  CountingDigester digester_;
};

TEST_F(DataVersionerTest, FileDigestIsTheSha256OfItsBytes) {
  Write("data.csv", "hello\n");
  auto v = Open({"data.csv"});
  DataScanResult r = ScanOne(v.get());
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.sha256, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
  EXPECT_EQ(r.size, 6u);
  EXPECT_EQ(r.files, 1u);
  EXPECT_TRUE(r.changed);  // the first scan is a new version
}

TEST_F(DataVersionerTest, UnchangedFileIsNeverReadAgain) {
  Write("data.csv", std::string(3 << 20, 'x'));  // several read chunks
  auto v = Open({"data.csv"});
  DataScanResult first = ScanOne(v.get());
  EXPECT_EQ(first.files_read, 1u);
  for (int i = 0; i < 3; ++i) {
    DataScanResult again = ScanOne(v.get());
    EXPECT_EQ(again.sha256, first.sha256);
    EXPECT_FALSE(again.changed);
    EXPECT_EQ(again.files_read, 0u);
    EXPECT_EQ(again.size, 3u << 20);
  }
  EXPECT_EQ(digester_.reads, 1);
}

TEST_F(DataVersionerTest, TouchWithoutChangeIsReadButKeepsTheVersion) {
  Write("data.csv", "a,b\n1,2\n");
  std::string path = dir_.Join("data.csv");
  auto v = Open({"data.csv"});
  DataScanResult first = ScanOne(v.get());
  timespec m = Mtime(path);
  SetMtime(path, m.tv_sec + 10, m.tv_nsec);  // `touch`
  DataScanResult touched = ScanOne(v.get());
  EXPECT_EQ(touched.files_read, 1u);  // mtime moved: the content must be checked
  EXPECT_EQ(touched.sha256, first.sha256);
  EXPECT_FALSE(touched.changed);
  EXPECT_EQ(ScanOne(v.get()).files_read, 0u);  // and now it is trusted again
}

TEST_F(DataVersionerTest, SameSizeEditIsANewVersion) {
  Write("data.csv", "value=1\n");
  // Default racy window: the edit may land in the same timestamp tick as the
  // first write; the versioner must catch it anyway.
  auto v = Open({"data.csv"}, nanoseconds(-1));
  DataScanResult first = ScanOne(v.get());
  Write("data.csv", "value=2\n");
  DataScanResult edited = ScanOne(v.get());
  EXPECT_EQ(edited.files_read, 1u);
  EXPECT_NE(edited.sha256, first.sha256);
  EXPECT_TRUE(edited.changed);
  EXPECT_EQ(edited.sha256, Sha256Hex("value=2\n"));
}

// Editing in place and putting the old mtime back changes nothing the user
// can set: ctime still moves, and that is in the cache key.
TEST_F(DataVersionerTest, EditWithRestoredMtimeIsCaughtByCtime) {
  Write("data.csv", "value=1\n");
  std::string path = dir_.Join("data.csv");
  timespec m = Mtime(path);
  auto v = Open({"data.csv"});
  DataScanResult first = ScanOne(v.get());
  WaitPastTimestampOf(path);
  int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, "value=9\n", 8, 0), 8);
  ::close(fd);
  SetMtime(path, m.tv_sec, m.tv_nsec);
  ASSERT_EQ(Mtime(path).tv_nsec, m.tv_nsec);
  DataScanResult edited = ScanOne(v.get());
  EXPECT_EQ(edited.files_read, 1u);
  EXPECT_TRUE(edited.changed);
  EXPECT_NE(edited.sha256, first.sha256);
}

TEST_F(DataVersionerTest, ReplacingByRenameIsDetected) {
  Write("data.csv", "old\n");
  auto v = Open({"data.csv"});
  DataScanResult first = ScanOne(v.get());
  // WriteFileAtomic writes a temp file and renames it over: a new inode.
  Write("data.csv", "new\n");
  DataScanResult replaced = ScanOne(v.get());
  EXPECT_EQ(replaced.files_read, 1u);
  EXPECT_TRUE(replaced.changed);
  EXPECT_EQ(replaced.sha256, Sha256Hex("new\n"));
  // Replaced again by identical content: read (new inode), same version.
  Write("data.csv", "new\n");
  DataScanResult same = ScanOne(v.get());
  EXPECT_EQ(same.files_read, 1u);
  EXPECT_FALSE(same.changed);
  EXPECT_NE(first.sha256, same.sha256);
}

TEST_F(DataVersionerTest, RacilyWrittenFileIsReadUntilItsTimestampsAreOldEnough) {
  Write("data.csv", "x\n");
  auto v = Open({"data.csv"}, std::chrono::hours(1));
  EXPECT_EQ(ScanOne(v.get()).files_read, 1u);
  DataScanResult again = ScanOne(v.get());
  EXPECT_EQ(again.files_read, 1u);
  EXPECT_FALSE(again.changed);
}

TEST_F(DataVersionerTest, FolderIsHashedAsAWholeFromItsSortedList) {
  Write("tree/a.txt", "A");
  Write("tree/a/b.txt", "B");
  Write("tree/z/deep/c.bin", std::string("\0\1\2", 3));
  ASSERT_TRUE(MakeDirs(dir_.Join("tree/empty")).ok());
  auto v = Open({"tree"});
  DataScanResult r = ScanOne(v.get());
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  // Byte order of the relative paths: "a.txt" < "a/b.txt" ('.' < '/').
  std::string list = "mlops-tree-v1\n";
  for (const auto& [rel, content] :
       std::vector<std::pair<std::string, std::string>>{
           {"a.txt", "A"}, {"a/b.txt", "B"}, {"z/deep/c.bin", std::string("\0\1\2", 3)}}) {
    list += rel + std::string(1, '\0') + Sha256Hex(content) + "\n";
  }
  EXPECT_EQ(r.sha256, Sha256Hex(list));
  EXPECT_EQ(r.files, 3u);
  EXPECT_EQ(r.size, 5u);
  EXPECT_EQ(r.files_read, 3u);
}

TEST_F(DataVersionerTest, FolderRescanReadsOnlyWhatChanged) {
  for (int i = 0; i < 50; ++i) Write("tree/d" + std::to_string(i % 5) + "/f" + std::to_string(i), "v" + std::to_string(i));
  auto v = Open({"tree"});
  DataScanResult first = ScanOne(v.get());
  EXPECT_EQ(first.files_read, 50u);
  DataScanResult unchanged = ScanOne(v.get());
  EXPECT_EQ(unchanged.files_read, 0u);
  EXPECT_FALSE(unchanged.changed);
  EXPECT_EQ(unchanged.sha256, first.sha256);

  WaitPastTimestampOf(dir_.Join("tree/d3/f13"));
  Write("tree/d3/f13", "changed");
  digester_.paths.clear();
  DataScanResult edited = ScanOne(v.get());
  EXPECT_EQ(edited.files_read, 1u);
  EXPECT_EQ(digester_.paths, std::vector<std::string>{dir_.Join("tree/d3/f13")});
  EXPECT_TRUE(edited.changed);

  Write("tree/new", "n");
  DataScanResult added = ScanOne(v.get());
  EXPECT_EQ(added.files_read, 1u);
  EXPECT_TRUE(added.changed);
  EXPECT_EQ(added.files, 51u);

  ASSERT_EQ(::unlink(dir_.Join("tree/new").c_str()), 0);
  DataScanResult removed = ScanOne(v.get());
  EXPECT_EQ(removed.files_read, 0u);
  EXPECT_TRUE(removed.changed);
  EXPECT_EQ(removed.sha256, edited.sha256);  // back to the tree before the add

  // A rename changes the tree's digest even though no content changed.
  ASSERT_EQ(::rename(dir_.Join("tree/d0/f0").c_str(), dir_.Join("tree/d0/g0").c_str()), 0);
  DataScanResult renamed = ScanOne(v.get());
  EXPECT_TRUE(renamed.changed);
  EXPECT_EQ(renamed.files, 50u);
}

TEST_F(DataVersionerTest, SymlinkInsideAFolderIsRefused) {
  Write("tree/a.txt", "A");
  ASSERT_EQ(::symlink("/etc/hostname", dir_.Join("tree/link").c_str()), 0);
  auto v = Open({"tree"});
  DataScanResult r = ScanOne(v.get());
  EXPECT_TRUE(r.status.IsInvalidArgument()) << r.status.ToString();
  EXPECT_NE(r.status.message().find("symbolic link inside a watched folder: " +
                                    dir_.Join("tree/link")),
            std::string::npos)
      << r.status.message();
  EXPECT_TRUE(r.sha256.empty());
  EXPECT_FALSE(r.changed);
}

TEST_F(DataVersionerTest, FifoInsideAFolderIsRefusedWithoutBlocking) {
  Write("tree/a.txt", "A");
  ASSERT_EQ(::mkfifo(dir_.Join("tree/pipe").c_str(), 0600), 0);
  auto v = Open({"tree"});
  DataScanResult r = ScanOne(v.get());
  EXPECT_TRUE(r.status.IsInvalidArgument()) << r.status.ToString();
  EXPECT_NE(r.status.message().find("not a regular file or folder"), std::string::npos);
}

TEST_F(DataVersionerTest, WatchedLinkIsFollowedAndRetargetingIsANewVersion) {
  Write("v1/data.csv", "one");
  Write("v2/data.csv", "two");
  ASSERT_EQ(::symlink(dir_.Join("v1").c_str(), dir_.Join("current").c_str()), 0);
  auto v = Open({"current"});
  DataScanResult first = ScanOne(v.get());
  ASSERT_TRUE(first.status.ok()) << first.status.ToString();
  EXPECT_EQ(first.path, dir_.Join("current"));
  ASSERT_EQ(::unlink(dir_.Join("current").c_str()), 0);
  ASSERT_EQ(::symlink(dir_.Join("v2").c_str(), dir_.Join("current").c_str()), 0);
  DataScanResult second = ScanOne(v.get());
  EXPECT_TRUE(second.changed);
  EXPECT_NE(second.sha256, first.sha256);
}

TEST_F(DataVersionerTest, MissingPathFailsAloneAndComesBack) {
  Write("present.csv", "p");
  auto v = Open({"missing.csv", "present.csv"});
  std::vector<DataScanResult> results;
  ASSERT_TRUE(v->Scan(&results).ok());
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].status.IsNotFound()) << results[0].status.ToString();
  EXPECT_FALSE(results[0].changed);
  EXPECT_TRUE(results[1].status.ok());
  EXPECT_TRUE(results[1].changed);

  Write("missing.csv", "m");
  ASSERT_TRUE(v->Scan(&results).ok());
  EXPECT_TRUE(results[0].status.ok());
  EXPECT_TRUE(results[0].changed);
  EXPECT_FALSE(results[1].changed);
  EXPECT_EQ(results[1].files_read, 0u);
}

TEST_F(DataVersionerTest, RelativeOrEmptyPathIsRefused) {
  DataVersioner::Options o;
  o.paths = {"data/x.csv"};
  std::unique_ptr<DataVersioner> v;
  Status st = DataVersioner::Open(o, &v);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("not absolute"), std::string::npos);
  o.paths.clear();
  EXPECT_TRUE(DataVersioner::Open(o, &v).IsInvalidArgument());
}

TEST_F(DataVersionerTest, RestartReusesThePersistedCache) {
  Write("tree/one", "1");
  Write("tree/we ird\n%name", "2");  // space, newline and '%' survive the file
  Write("solo.bin", "3");
  std::string state = dir_.Join("state/data-cache");
  ASSERT_TRUE(MakeDirs(DirName(state)).ok());
  std::string tree_digest;
  {
    auto v = Open({"tree", "solo.bin"}, nanoseconds(0), state);
    EXPECT_TRUE(v->state_load_status().IsNotFound());
    std::vector<DataScanResult> results;
    ASSERT_TRUE(v->Scan(&results).ok());
    tree_digest = results[0].sha256;
    EXPECT_EQ(digester_.reads, 3);
  }
  struct stat st {};
  ASSERT_EQ(::stat(state.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto v = Open({"tree", "solo.bin"}, nanoseconds(0), state);
  EXPECT_TRUE(v->state_load_status().ok()) << v->state_load_status().ToString();
  std::vector<DataScanResult> results;
  ASSERT_TRUE(v->Scan(&results).ok());
  EXPECT_EQ(digester_.reads, 3);  // nothing read again
  EXPECT_EQ(results[0].sha256, tree_digest);
  EXPECT_FALSE(results[0].changed);
  EXPECT_FALSE(results[1].changed);
}

TEST_F(DataVersionerTest, StateFileOfAnotherVersionIsIgnoredAndReplaced) {
  Write("data.csv", "d");
  std::string state = dir_.Join("data-cache");
  ASSERT_TRUE(WriteFileAtomic(state, "mlops-data-stat-cache 2\nF whatever\n").ok());
  auto v = Open({"data.csv"}, nanoseconds(0), state);
  EXPECT_TRUE(v->state_load_status().IsInvalidArgument());
  EXPECT_NE(v->state_load_status().message().find("version 2"), std::string::npos);
  DataScanResult r = ScanOne(v.get());
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.files_read, 1u);
  std::string text;
  ASSERT_TRUE(ReadFile(state, &text).ok());
  EXPECT_TRUE(text.starts_with("mlops-data-stat-cache 1\n")) << text;
}

TEST_F(DataVersionerTest, CorruptStateFileIsIgnored) {
  Write("data.csv", "d");
  std::string state = dir_.Join("data-cache");
  ASSERT_TRUE(WriteFileAtomic(state, "mlops-data-stat-cache 1\nF only three fields\n").ok());
  auto v = Open({"data.csv"}, nanoseconds(0), state);
  EXPECT_TRUE(v->state_load_status().IsCorruption());
  EXPECT_NE(v->state_load_status().message().find(state + ":2"), std::string::npos)
      << v->state_load_status().message();
  DataScanResult r = ScanOne(v.get());
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(r.files_read, 1u);
}

}  // namespace
}  // namespace mlops::triggers
