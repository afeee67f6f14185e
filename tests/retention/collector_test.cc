// Collector and ArtifactCollector over an in-memory file tree, a fake clock
// and a fake guard: which entries each limit lets go, what is never removed,
// and that a run's end is indexed without listing any folder.
#include "retention/collector.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "fakes.h"
#include "retention/artifact_collector.h"

namespace mlops::retention {
namespace {

using namespace std::chrono_literals;

constexpr const char* kState = "/state";
constexpr int64_t kDay = 24 * 3600 * 1000;

RetentionConfig NoLimits() {
  RetentionConfig c;
  for (auto& l : c.limits) l = FolderLimits();
  return c;
}

std::vector<std::string> Paths(const CollectReport& r) {
  std::vector<std::string> out;
  for (const auto& x : r.removals) out.push_back(x.path);
  std::sort(out.begin(), out.end());
  return out;
}

class CollectorTest : public ::testing::Test {
 protected:
  void AddRun(const std::string& folder, int64_t id, int64_t age_ms = 0, int64_t bytes = 100) {
    const std::string dir = std::string(kState) + "/" + folder + "/run-" + std::to_string(id);
    fs_.Add(dir, true, now() - age_ms);
    fs_.Add(dir + "/file", false, now() - age_ms, bytes);
  }
  int64_t now() { return clock_.WallMillis(); }
  Collector Make(const RetentionConfig& c) { return Collector(kState, c, &fs_, &clock_, &guard_); }

  FakeStateFs fs_;
  FakeClock clock_;
  FakeGuard guard_;
};

TEST_F(CollectorTest, KeepsTheNewestRunsAndDryRunRemovesNothing) {
  for (int id = 1; id <= 5; ++id) AddRun("logs", id);
  fs_.Add("/state/logs/.spare/0.log", false, now());
  fs_.Add("/state/logs/notes", true, now());
  RetentionConfig c = NoLimits();
  c[FolderKind::kLogs].keep = 2;
  Collector col = Make(c);
  col.Rescan();
  CollectReport dry = col.Collect(true);
  EXPECT_TRUE(dry.dry_run);
  EXPECT_EQ(Paths(dry), (std::vector<std::string>{"logs/run-1", "logs/run-2", "logs/run-3"}));
  EXPECT_EQ(dry.bytes, 300);
  EXPECT_EQ(dry.removals[0].reason, "beyond the newest 2");
  EXPECT_TRUE(fs_.Has("/state/logs/run-1"));

  CollectReport done = col.Collect(false);
  EXPECT_EQ(Paths(done), Paths(dry));
  for (int id = 1; id <= 3; ++id) EXPECT_FALSE(fs_.Has("/state/logs/run-" + std::to_string(id)));
  EXPECT_TRUE(fs_.Has("/state/logs/run-4"));
  EXPECT_TRUE(fs_.Has("/state/logs/run-5"));
  EXPECT_TRUE(fs_.Has("/state/logs/.spare/0.log"));
  EXPECT_TRUE(fs_.Has("/state/logs/notes"));
  EXPECT_TRUE(col.Collect(false).removals.empty());
}

TEST_F(CollectorTest, AnActiveRunIsNeverRemovedWhateverTheLimit) {
  for (int id = 1; id <= 3; ++id) {
    AddRun("scratch", id, 10 * kDay);
    AddRun("workspaces", id, 10 * kDay);
  }
  guard_.active = {1};
  RetentionConfig c = NoLimits();
  c[FolderKind::kScratch].keep = 0;
  c[FolderKind::kWorkspaces].max_age = std::chrono::hours(24);
  Collector col = Make(c);
  col.Rescan();
  CollectReport r = col.Collect(false);
  EXPECT_EQ(Paths(r), (std::vector<std::string>{"scratch/run-2", "scratch/run-3",
                                                 "workspaces/run-2", "workspaces/run-3"}));
  EXPECT_EQ(r.kept_in_use, 2);
  EXPECT_TRUE(fs_.Has("/state/scratch/run-1/file"));
  EXPECT_TRUE(fs_.Has("/state/workspaces/run-1/file"));
  // Once ended, it goes.
  guard_.active.clear();
  EXPECT_EQ(Paths(col.Collect(false)), (std::vector<std::string>{"scratch/run-1", "workspaces/run-1"}));
}

TEST_F(CollectorTest, AgeLimitRemovesWhatIsOlder) {
  AddRun("logs", 1, 3 * kDay);
  AddRun("logs", 2, 2 * kDay + 1);
  AddRun("logs", 3, kDay);
  RetentionConfig c = NoLimits();
  c[FolderKind::kLogs].max_age = std::chrono::hours(48);
  Collector col = Make(c);
  col.Rescan();
  CollectReport r = col.Collect(false);
  EXPECT_EQ(Paths(r), (std::vector<std::string>{"logs/run-1", "logs/run-2"}));
  EXPECT_EQ(r.removals[0].reason, "older than 2d");
}

TEST_F(CollectorTest, SizeLimitRemovesTheOldestUntilTheRestFits) {
  for (int id = 1; id <= 4; ++id) AddRun("scratch", id, 0, 100);
  RetentionConfig c = NoLimits();
  c[FolderKind::kScratch].max_bytes = 250;
  Collector col = Make(c);
  col.Rescan();
  EXPECT_EQ(Paths(col.Collect(false)), (std::vector<std::string>{"scratch/run-1", "scratch/run-2"}));
}

TEST_F(CollectorTest, AnEndedRunIsIndexedWithoutListingAnyFolder) {
  AddRun("logs", 1);
  AddRun("logs", 2);
  RetentionConfig c = NoLimits();
  c[FolderKind::kLogs].keep = 2;
  c[FolderKind::kScratch].keep = 2;
  Collector col = Make(c);
  col.Rescan();
  EXPECT_TRUE(col.Collect(false).removals.empty());
  const int lists = fs_.lists();
  for (int id = 3; id <= 6; ++id) {
    AddRun("logs", id);
    AddRun("scratch", id);
    col.NoteRunEnded(id);
  }
  CollectReport r = col.Collect(false);
  EXPECT_EQ(fs_.lists(), lists);
  EXPECT_EQ(Paths(r), (std::vector<std::string>{"logs/run-1", "logs/run-2", "logs/run-3",
                                                 "logs/run-4", "scratch/run-3", "scratch/run-4"}));
  EXPECT_EQ(col.indexed(FolderKind::kLogs), 2u);
}

TEST_F(CollectorTest, ProvenanceOfAModelVersionIsKept) {
  fs_.Add("/state/provenance/run-1-attempt-1.json", false, now(), 10);
  fs_.Add("/state/provenance/run-2-attempt-4.json", false, now(), 10);
  fs_.Add("/state/provenance/run-3-attempt-9.json", false, now(), 10);
  fs_.Add("/state/provenance/other.json", false, now(), 10);
  guard_.model_runs = {1};
  RetentionConfig c = NoLimits();
  c[FolderKind::kProvenance].keep = 0;
  Collector col = Make(c);
  col.Rescan();
  CollectReport r = col.Collect(false);
  EXPECT_EQ(Paths(r), (std::vector<std::string>{"provenance/run-2-attempt-4.json",
                                                 "provenance/run-3-attempt-9.json"}));
  EXPECT_TRUE(fs_.Has("/state/provenance/run-1-attempt-1.json"));
  EXPECT_TRUE(fs_.Has("/state/provenance/other.json"));
}

TEST_F(CollectorTest, CheckoutsInUseOrJustMadeAreKept) {
  const std::string used(40, 'a'), unused(40, 'b'), fresh(40, 'c');
  fs_.Add("/state/checkouts/repo/" + used, true, now() - kDay);
  fs_.Add("/state/checkouts/repo/" + unused, true, now() - kDay);
  fs_.Add("/state/checkouts/repo/" + fresh, true, now() - 1000);
  fs_.Add("/state/checkouts/repo/" + unused + ".partial", true, now() - kDay);
  guard_.commits = {used};
  RetentionConfig c = NoLimits();
  c[FolderKind::kCheckouts].keep = 0;
  Collector col = Make(c);
  col.Rescan();
  CollectReport r = col.Collect(false);
  EXPECT_EQ(Paths(r), (std::vector<std::string>{"checkouts/repo/" + unused}));
  EXPECT_EQ(r.kept_in_use, 2);
  EXPECT_TRUE(fs_.Has("/state/checkouts/repo/" + unused + ".partial"));
}

TEST_F(CollectorTest, AFolderClassWithoutLimitsIsNeitherListedNorTouched) {
  AddRun("logs", 1, 400 * kDay);
  Collector col = Make(NoLimits());
  col.Rescan();
  EXPECT_TRUE(col.Collect(false).removals.empty());
  EXPECT_EQ(fs_.lists(), 0);
}

TEST(RunNames, ParseOnlyTheLayout) {
  EXPECT_EQ(RunIdOfRunFolder("run-12"), 12);
  EXPECT_EQ(RunIdOfRunFolder("run-012"), 0);
  EXPECT_EQ(RunIdOfRunFolder("run-"), 0);
  EXPECT_EQ(RunIdOfRunFolder("run-1x"), 0);
  EXPECT_EQ(RunIdOfProvenanceFile("run-7-attempt-3.json"), 7);
  EXPECT_EQ(RunIdOfProvenanceFile("run-7-attempt-.json"), 0);
  EXPECT_EQ(RunIdOfProvenanceFile("run-7.json"), 0);
}

TEST(ByteSize, UnitsAndErrors) {
  int64_t n = 0;
  std::string error;
  ASSERT_TRUE(ParseByteSize("4096", &n, &error));
  EXPECT_EQ(n, 4096);
  ASSERT_TRUE(ParseByteSize("500MB", &n, &error));
  EXPECT_EQ(n, 500'000'000);
  ASSERT_TRUE(ParseByteSize("2GiB", &n, &error));
  EXPECT_EQ(n, 2LL << 30);
  EXPECT_FALSE(ParseByteSize("2 GB", &n, &error));
  EXPECT_NE(error.find("unknown size unit"), std::string::npos);
  EXPECT_FALSE(ParseByteSize("GB", &n, &error));
  EXPECT_FALSE(ParseByteSize("-1", &n, &error));
  EXPECT_FALSE(ParseByteSize("99999999999TiB", &n, &error));
  EXPECT_NE(error.find("too large"), std::string::npos);
}

class ArtifactCollectorTest : public ::testing::Test {
 protected:
  std::string Store(char c, int64_t age_ms) {
    const std::string sha(64, c);
    fs_.Add("/state/artifacts/sha256/" + sha.substr(0, 2) + "/" + sha, false,
            clock_.WallMillis() - age_ms, 7);
    return sha;
  }

  FakeStateFs fs_;
  FakeClock clock_;
  FakeGuard guard_;
  ArtifactCollector col_{"/state/artifacts", kState, &fs_, &clock_, &guard_};
};

TEST_F(ArtifactCollectorTest, RemovesOnlyOldUnreferencedContent) {
  const std::string run_ref = Store('a', kDay), model_ref = Store('b', kDay);
  const std::string orphan = Store('c', kDay), young = Store('d', 60'000), late = Store('e', kDay);
  fs_.Add("/state/artifacts/tmp/partial", false, clock_.WallMillis() - kDay, 3);
  guard_.referenced = {run_ref, model_ref};
  guard_.referenced_late = {late};

  CollectReport dry;
  ASSERT_TRUE(col_.Collect(true, &dry).ok());
  EXPECT_EQ(Paths(dry), (std::vector<std::string>{"artifacts/sha256/cc/" + orphan,
                                                   "artifacts/sha256/ee/" + late}));
  EXPECT_TRUE(fs_.Has("/state/artifacts/sha256/cc/" + orphan));

  CollectReport done;
  ASSERT_TRUE(col_.Collect(false, &done).ok());
  EXPECT_EQ(Paths(done), (std::vector<std::string>{"artifacts/sha256/cc/" + orphan}));
  EXPECT_EQ(done.bytes, 7);
  EXPECT_FALSE(fs_.Has("/state/artifacts/sha256/cc/" + orphan));
  for (const auto& sha : {run_ref, model_ref, young, late}) {
    EXPECT_TRUE(fs_.Has("/state/artifacts/sha256/" + sha.substr(0, 2) + "/" + sha)) << sha;
  }
  EXPECT_TRUE(fs_.Has("/state/artifacts/tmp/partial"));
}

TEST_F(ArtifactCollectorTest, ContentStoredSinceTheOldestActiveRunIsKept) {
  const std::string before = Store('a', 3 * kDay), during = Store('b', kDay);
  guard_.active_since_ms = clock_.WallMillis() - 2 * kDay;
  CollectReport r;
  ASSERT_TRUE(col_.Collect(false, &r).ok());
  EXPECT_EQ(Paths(r), (std::vector<std::string>{"artifacts/sha256/aa/" + before}));
  EXPECT_EQ(r.kept_in_use, 1);
  EXPECT_TRUE(fs_.Has("/state/artifacts/sha256/bb/" + during));
}

}  // namespace
}  // namespace mlops::retention
