#include "mlops/registry/artifact_store.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "temp_dir.h"
#include "unprivileged_child.h"

namespace mlops::registry {
namespace {

// Known SHA-256 vectors, as printed by `sha256sum`.
constexpr const char* kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

int CountEntries(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") ++n;
  }
  ::closedir(d);
  return n;
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

class ArtifactStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }

  std::string Write(const std::string& name, const std::string& content) {
    std::string path = dir_.Join(name);
    EXPECT_TRUE(MakeDirs(DirName(path)).ok());
    EXPECT_TRUE(WriteFileAtomic(path, content).ok());
    return path;
  }

  testing::TempDir dir_;
  ArtifactStore store_{dir_.Join("store")};
};

TEST_F(ArtifactStoreTest, DigestsMatchKnownVectors) {
  ArtifactRecord rec;
  Status st = store_.Ingest(Write("abc.txt", "abc"), "", &rec);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(rec.sha256, kAbc);
  EXPECT_EQ(rec.size, 3);
  EXPECT_EQ(rec.media_type, "text/plain");
  EXPECT_GT(rec.created_ms, 0);
  EXPECT_EQ(store_.PathFor(kAbc), dir_.Join("store/sha256/ba/") + kAbc);
  EXPECT_TRUE(store_.Contains(kAbc));
  std::string stored;
  ASSERT_TRUE(ReadFile(store_.PathFor(kAbc), &stored).ok());
  EXPECT_EQ(stored, "abc");

  ASSERT_TRUE(store_.Ingest(Write("empty", ""), "", &rec).ok());
  EXPECT_EQ(rec.sha256, kEmpty);
  EXPECT_EQ(rec.size, 0);
  EXPECT_EQ(rec.media_type, "application/octet-stream");
}

TEST_F(ArtifactStoreTest, LargeFilesHashAcrossChunks) {
  std::string big;
  for (int i = 0; i < 3 * 1024 * 1024 + 17; ++i) big.push_back(static_cast<char>(i * 31 + 7));
  ArtifactRecord rec;
  ASSERT_TRUE(store_.Ingest(Write("big.bin", big), "", &rec).ok());
  EXPECT_EQ(rec.sha256, Sha256Hex(big));
  EXPECT_EQ(rec.size, static_cast<int64_t>(big.size()));
  std::string stored;
  ASSERT_TRUE(ReadFile(store_.PathFor(rec.sha256), &stored).ok());
  EXPECT_TRUE(stored == big);
}

TEST_F(ArtifactStoreTest, IngestIsIdempotent) {
  ArtifactRecord first, second;
  ASSERT_TRUE(store_.Ingest(Write("a/model.pt", "weights"), "", &first).ok());
  ASSERT_TRUE(store_.Ingest(Write("b/other-name.pt", "weights"), "", &second).ok());
  EXPECT_EQ(first.sha256, second.sha256);
  EXPECT_EQ(first.size, second.size);
  EXPECT_EQ(CountEntries(DirName(store_.PathFor(first.sha256))), 1);
  EXPECT_EQ(CountEntries(dir_.Join("store/tmp")), 0);  // no temp left behind
  std::string stored;
  ASSERT_TRUE(ReadFile(store_.PathFor(first.sha256), &stored).ok());
  EXPECT_EQ(stored, "weights");
}

TEST_F(ArtifactStoreTest, SymlinksAndNonRegularFilesAreRefused) {
  std::string target = Write("real.csv", "a,b\n");
  std::string link = dir_.Join("link.csv");
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  ArtifactRecord rec;
  Status st = store_.Ingest(link, "", &rec);
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_NE(st.message().find("symlink"), std::string::npos);

  EXPECT_TRUE(store_.Ingest(dir_.path(), "", &rec).IsInvalidArgument());

  std::string fifo = dir_.Join("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_TRUE(store_.Ingest(fifo, "", &rec).IsInvalidArgument());  // and does not block

  EXPECT_TRUE(store_.Ingest(dir_.Join("missing"), "", &rec).IsNotFound());
  EXPECT_FALSE(store_.Contains(Sha256Hex("a,b\n")));
}

TEST_F(ArtifactStoreTest, KnownContentIsHashedWithoutATemporaryFile) {
  ArtifactRecord first, again;
  ASSERT_TRUE(store_.Ingest(Write("a.csv", "1,2\n"), "", &first).ok());
  // Make any temporary file impossible: <root>/tmp becomes a plain file, so
  // creating one there (or the folder) fails, for root as well.
  ASSERT_TRUE(RemoveTree(dir_.Join("store/tmp")).ok());
  ASSERT_TRUE(WriteFileAtomic(dir_.Join("store/tmp"), "not a folder").ok());
  Status st = store_.Ingest(Write("b.csv", "1,2\n"), "", &again);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(again.sha256, first.sha256);
  EXPECT_EQ(again.size, 4);
  // New content does need one, and says so.
  EXPECT_FALSE(store_.Ingest(Write("c.csv", "3,4\n"), "", &again).ok());
  EXPECT_FALSE(store_.Contains(Sha256Hex("3,4\n")));
}

TEST_F(ArtifactStoreTest, MaterializeRoundTrips) {
  ArtifactStore store(dir_.Join("store"), ArtifactStore::RestoreMode::kCopy);
  ArtifactRecord rec;
  ASSERT_TRUE(store.Ingest(Write("features.csv", "x,y\n1,2\n"), "", &rec).ok());
  std::string dest = dir_.Join("workspace/deep/er/features.csv");
  Status st = store.Materialize(rec.sha256, dest);
  ASSERT_TRUE(st.ok()) << st.ToString();
  std::string out;
  ASSERT_TRUE(ReadFile(dest, &out).ok());
  EXPECT_EQ(out, "x,y\n1,2\n");
  EXPECT_EQ(ModeOf(dest), 0644u);  // a writable copy, not the stored file
  EXPECT_EQ(Sha256Hex(out), rec.sha256);

  // Replaces what is there.
  ASSERT_TRUE(WriteFileAtomic(dest, "stale").ok());
  ASSERT_TRUE(store.Materialize(rec.sha256, dest).ok());
  ASSERT_TRUE(ReadFile(dest, &out).ok());
  EXPECT_EQ(out, "x,y\n1,2\n");
  EXPECT_EQ(CountEntries(DirName(dest)), 1);

  EXPECT_TRUE(store.Materialize(Sha256Hex("absent"), dir_.Join("x")).IsNotFound());
  EXPECT_TRUE(store.Materialize("../../etc/passwd", dir_.Join("x")).IsInvalidArgument());
  EXPECT_FALSE(store.Contains("../../etc/passwd"));
}

TEST_F(ArtifactStoreTest, LinkedRestoresShareTheReadOnlyStoredFile) {
  ArtifactStore store(dir_.Join("store"), ArtifactStore::RestoreMode::kLink);
  EXPECT_TRUE(store.links_restores());
  ArtifactRecord rec;
  ASSERT_TRUE(store.Ingest(Write("model.pt", "weights"), "", &rec).ok());
  std::string dest = dir_.Join("ws/models/model.pt");
  Status st = store.Materialize(rec.sha256, dest);  // creates models/
  ASSERT_TRUE(st.ok()) << st.ToString();
  struct stat stored, restored;
  ASSERT_EQ(::stat(store.PathFor(rec.sha256).c_str(), &stored), 0);
  ASSERT_EQ(::stat(dest.c_str(), &restored), 0);
  EXPECT_EQ(stored.st_ino, restored.st_ino);  // no new file, no copy
  EXPECT_EQ(ModeOf(dest), 0444u);
  // Again onto the same link, and over another file: replaced whole, and no
  // temporary name is left behind.
  ASSERT_TRUE(store.Materialize(rec.sha256, dest).ok());
  ASSERT_TRUE(WriteFileAtomic(dest + ".other", "stale").ok());
  ASSERT_TRUE(::rename((dest + ".other").c_str(), dest.c_str()) == 0);
  ASSERT_TRUE(store.Materialize(rec.sha256, dest).ok());
  std::string out;
  ASSERT_TRUE(ReadFile(dest, &out).ok());
  EXPECT_EQ(out, "weights");
  EXPECT_EQ(CountEntries(DirName(dest)), 1);
  EXPECT_TRUE(store.Materialize(Sha256Hex("absent"), dir_.Join("ws/x")).IsNotFound());

  // Copy mode gives a writable file of its own.
  ArtifactStore copying(dir_.Join("store"), ArtifactStore::RestoreMode::kCopy);
  EXPECT_FALSE(copying.links_restores());
  std::string copy = dir_.Join("ws2/model.pt");
  ASSERT_TRUE(copying.Materialize(rec.sha256, copy).ok());
  ASSERT_EQ(::stat(copy.c_str(), &restored), 0);
  EXPECT_NE(stored.st_ino, restored.st_ino);
  EXPECT_EQ(ModeOf(copy), 0644u);
}

TEST_F(ArtifactStoreTest, AutoRestoreModeNeverLinksForRoot) {
  // Root writes through a read-only mode, so a link would expose the store.
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root (CAP_DAC_OVERRIDE); the unprivileged case is "
                    "AutoRestoreModeLinksForAnUnprivilegedUser";
  }
  EXPECT_FALSE(store_.links_restores());
}

TEST_F(ArtifactStoreTest, AutoRestoreModeLinksForAnUnprivilegedUser) {
  auto links = [&] { return ArtifactStore(dir_.Join("store")).links_restores() ? 0 : 1; };
  if (::geteuid() != 0) {
    EXPECT_EQ(links(), 0);
    return;
  }
  // As root: the same check in a child that runs as nobody.
  EXPECT_EQ(testing::RunUnprivileged(links), 0);
}

TEST_F(ArtifactStoreTest, StoredContentIsReadOnlyAndPrivate) {
  ArtifactRecord rec;
  ASSERT_TRUE(store_.Ingest(Write("m.json", "{}"), "", &rec).ok());
  EXPECT_EQ(ModeOf(store_.PathFor(rec.sha256)), 0444u);
  EXPECT_EQ(ModeOf(DirName(store_.PathFor(rec.sha256))), 0700u);
  EXPECT_EQ(ModeOf(dir_.Join("store/sha256")), 0700u);
}

TEST_F(ArtifactStoreTest, MediaTypeIsGivenOrGuessed) {
  ArtifactRecord rec;
  ASSERT_TRUE(store_.Ingest(Write("data.csv", "1"), "", &rec).ok());
  EXPECT_EQ(rec.media_type, "text/csv");
  ASSERT_TRUE(store_.Ingest(Write("data2.csv", "2"), "application/x-custom", &rec).ok());
  EXPECT_EQ(rec.media_type, "application/x-custom");
}

TEST(GuessMediaTypeTest, ByExtension) {
  EXPECT_EQ(GuessMediaType("data.csv"), "text/csv");
  EXPECT_EQ(GuessMediaType("/a/b/metrics.json"), "application/json");
  EXPECT_EQ(GuessMediaType("REPORT.JSON"), "application/json");
  EXPECT_EQ(GuessMediaType("model.pt"), "application/octet-stream");
  EXPECT_EQ(GuessMediaType("model.onnx"), "application/onnx");
  EXPECT_EQ(GuessMediaType("table.parquet"), "application/vnd.apache.parquet");
  EXPECT_EQ(GuessMediaType("notes.txt"), "text/plain");
  EXPECT_EQ(GuessMediaType("config.yml"), "application/yaml");
  EXPECT_EQ(GuessMediaType("Makefile"), "application/octet-stream");
  EXPECT_EQ(GuessMediaType("dir.v1/README"), "application/octet-stream");
}

}  // namespace
}  // namespace mlops::registry
