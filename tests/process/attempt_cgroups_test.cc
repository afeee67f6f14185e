// AttemptCgroups on a fake cgroup v2 tree in a temporary folder: what it
// checks before it changes anything, what it writes, and how it reads an
// OOM kill. (stage_limits_test.cc runs it on the real hierarchy where it
// can.)
#include "process/attempt_cgroups.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "mlops/common/files.h"
#include "process/attempt_harness.h"

namespace mlops {
namespace {

class AttemptCgroupsTest : public ::testing::Test {
 protected:
  // The daemon in <fs>/svc, alone, with the memory controller there.
  void SetUp() override {
    base_ = dir_ / "fs/svc";
    ASSERT_TRUE(MakeDirs(base_).ok());
    Put(dir_ / "self", "1:name=systemd:/svc\n0::/svc\n");
    Put(base_ + "/cgroup.controllers", "cpu io memory pids\n");
    Put(base_ + "/cgroup.procs", "4242\n");
    Put(base_ + "/cgroup.subtree_control", "");
  }
  static void Put(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
  }
  Status SetUpCgroups() { return cgroups_.Setup(dir_ / "fs", dir_ / "self", 4242); }

  testing::TempDir dir_;
  std::string base_;
  AttemptCgroups cgroups_;
};

TEST_F(AttemptCgroupsTest, SetupMovesTheDaemonIntoALeafAndEnablesMemory) {
  ASSERT_TRUE(MakeDirs(base_ + "/mlopsd").ok());  // an earlier daemon's
  Put(base_ + "/mlopsd/cgroup.procs", "");
  ASSERT_TRUE(MakeDirs(base_ + "/attempt-3").ok());  // left by an earlier daemon
  ASSERT_TRUE(SetUpCgroups().ok());
  EXPECT_TRUE(cgroups_.usable());
  EXPECT_EQ(cgroups_.base(), base_);
  EXPECT_EQ(testing::ReadText(base_ + "/mlopsd/cgroup.procs"), "4242");
  EXPECT_EQ(testing::ReadText(base_ + "/cgroup.subtree_control"), "+memory");
  EXPECT_FALSE(PathExists(base_ + "/attempt-3"));
}

TEST_F(AttemptCgroupsTest, CreateWritesTheLimitAndOomKillsAreRead) {
  ASSERT_TRUE(MakeDirs(base_ + "/mlopsd").ok());
  Put(base_ + "/mlopsd/cgroup.procs", "");
  ASSERT_TRUE(SetUpCgroups().ok());
  // The kernel makes a new cgroup's control files; the fake tree has them
  // beforehand.
  const std::string leaf = base_ + "/attempt-7";
  ASSERT_TRUE(MakeDirs(leaf).ok());
  for (const char* f : {"/memory.max", "/memory.swap.max", "/memory.oom.group"}) Put(leaf + f, "");
  std::string path;
  ASSERT_TRUE(cgroups_.Create(7, 64 << 20, &path).ok());
  EXPECT_EQ(path, leaf);
  EXPECT_EQ(testing::ReadText(leaf + "/memory.max"), "67108864");
  EXPECT_EQ(testing::ReadText(leaf + "/memory.swap.max"), "0");
  EXPECT_EQ(testing::ReadText(leaf + "/memory.oom.group"), "1");
  Put(leaf + "/memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 0\n");
  EXPECT_FALSE(AttemptCgroups::OomKilled(leaf));
  Put(leaf + "/memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n");
  EXPECT_TRUE(AttemptCgroups::OomKilled(leaf));
  EXPECT_TRUE(AttemptCgroups::Remove(leaf));
  EXPECT_FALSE(PathExists(leaf));
}

TEST_F(AttemptCgroupsTest, RefusesWhatItCannotUseAndChangesNothing) {
  struct Case {
    std::function<void()> make;
    std::string why;
  };
  const std::vector<Case> cases = {
      {[&] { Put(dir_ / "self", "4:memory:/svc\n"); }, "no cgroup v2 hierarchy"},
      {[&] { Put(base_ + "/cgroup.controllers", "cpu pids\n"); },
       "memory controller is not available"},
      {[&] { Put(base_ + "/cgroup.procs", "4242\n99\n"); }, "holds other processes too (99)"},
  };
  for (const Case& c : cases) {
    SetUp();
    c.make();
    AttemptCgroups cgroups;
    Status s = cgroups.Setup(dir_ / "fs", dir_ / "self", 4242);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(c.why), std::string::npos) << s.message();
    EXPECT_FALSE(cgroups.usable());
    EXPECT_FALSE(PathExists(base_ + "/mlopsd"));
    EXPECT_EQ(testing::ReadText(base_ + "/cgroup.subtree_control"), "");
  }
}

}  // namespace
}  // namespace mlops
