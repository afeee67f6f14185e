// The orphan sweep ends processes in foreign sessions only.
#include "process/stage_orphans.h"

#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include "process/attempt_harness.h"

extern char** environ;

namespace mlops {
namespace {

pid_t SpawnSleep(bool new_session) {
  posix_spawnattr_t attr;
  ::posix_spawnattr_init(&attr);
  if (new_session) ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  char* argv[] = {const_cast<char*>("sleep"), const_cast<char*>("300"), nullptr};
  pid_t pid = -1;
  ::posix_spawn(&pid, "/bin/sleep", nullptr, &attr, argv, environ);
  ::posix_spawnattr_destroy(&attr);
  return pid;
}

TEST(StageOrphansTest, BecomeChildSubreaperSticks) {
  ASSERT_TRUE(BecomeChildSubreaper().ok());
  EXPECT_TRUE(IsChildSubreaper());
}

TEST(StageOrphansTest, SweepEndsForeignSessionsAndSparesOwnAndHosts) {
  pid_t own = SpawnSleep(false);
  pid_t escaped = SpawnSleep(true);
  pid_t host = SpawnStageHost([] { return SpawnSleep(true); });
  ASSERT_GT(own, 0);
  ASSERT_GT(escaped, 0);
  ASSERT_GT(host, 0);
  OrphanSweep sweep = SweepStageOrphans(std::chrono::seconds(5));
  EXPECT_GE(sweep.killed, 1);
  EXPECT_GE(sweep.reaped, 1);
  EXPECT_EQ(sweep.remaining, 0);
  EXPECT_TRUE(testing::ProcessGone(escaped));
  // Neither the child of our own session nor the live host was touched.
  EXPECT_EQ(::waitpid(own, nullptr, WNOHANG), 0);
  EXPECT_EQ(::waitpid(host, nullptr, WNOHANG), 0);
  for (pid_t pid : {own, host}) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  ForgetStageHost(host);
}

}  // namespace
}  // namespace mlops
