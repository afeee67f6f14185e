#include "triggers/coalescer.h"

#include <gtest/gtest.h>

#include <chrono>

namespace mlops::triggers {
namespace {

using std::chrono::milliseconds;

class CoalescerTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  TriggerCoalescer coalescer_{&clock_, milliseconds(500)};
};

TEST_F(CoalescerTest, NothingIsDueBeforeTheWindowPasses) {
  EXPECT_FALSE(coalescer_.NextDue().has_value());
  EXPECT_EQ(coalescer_.Report("r", "main", "c1", "poll"), "");
  ASSERT_TRUE(coalescer_.NextDue().has_value());
  EXPECT_EQ(*coalescer_.NextDue(), clock_.Now() + milliseconds(500));
  clock_.Advance(milliseconds(499));
  EXPECT_TRUE(coalescer_.TakeDue().empty());
  EXPECT_EQ(coalescer_.pending(), 1u);
  clock_.Advance(milliseconds(1));
  std::vector<PendingTrigger> due = coalescer_.TakeDue();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].commit, "c1");
  EXPECT_EQ(due[0].origin, "poll");
  EXPECT_TRUE(due[0].superseded.empty());
  EXPECT_EQ(coalescer_.pending(), 0u);
  EXPECT_FALSE(coalescer_.NextDue().has_value());
}

TEST_F(CoalescerTest, BurstCollapsesToTheNewestCommit) {
  EXPECT_EQ(coalescer_.Report("r", "main", "c1", "gitlab"), "");
  clock_.Advance(milliseconds(100));
  EXPECT_EQ(coalescer_.Report("r", "main", "c2", "gitlab"), "c1");
  clock_.Advance(milliseconds(100));
  EXPECT_EQ(coalescer_.Report("r", "main", "c3", "poll"), "c2");
  clock_.Advance(milliseconds(300));
  std::vector<PendingTrigger> due = coalescer_.TakeDue();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].repository, "r");
  EXPECT_EQ(due[0].branch, "main");
  EXPECT_EQ(due[0].commit, "c3");
  EXPECT_EQ(due[0].origin, "poll");
  EXPECT_EQ(due[0].superseded, (std::vector<std::string>{"c1", "c2"}));
  EXPECT_EQ(due[0].reports, 3);
}

TEST_F(CoalescerTest, RepeatedReportSupersedesNothing) {
  coalescer_.Report("r", "main", "c1", "gitlab");
  EXPECT_EQ(coalescer_.Report("r", "main", "c1", "poll"), "");
  clock_.Advance(milliseconds(500));
  std::vector<PendingTrigger> due = coalescer_.TakeDue();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].commit, "c1");
  EXPECT_TRUE(due[0].superseded.empty());
  EXPECT_EQ(due[0].reports, 2);
}

TEST_F(CoalescerTest, CommitThatComesBackIsNotListedAsSuperseded) {
  coalescer_.Report("r", "main", "a", "poll");
  EXPECT_EQ(coalescer_.Report("r", "main", "b", "poll"), "a");
  EXPECT_EQ(coalescer_.Report("r", "main", "a", "poll"), "b");
  clock_.Advance(milliseconds(500));
  std::vector<PendingTrigger> due = coalescer_.TakeDue();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].commit, "a");
  EXPECT_EQ(due[0].superseded, (std::vector<std::string>{"b"}));
}

// The window runs from the first report: pushes arriving faster than the
// window still trigger once per window, never zero times.
TEST_F(CoalescerTest, SteadyStreamStillTriggersOncePerWindow) {
  int triggered = 0;
  std::string last_triggered;
  for (int i = 0; i < 20; ++i) {
    coalescer_.Report("r", "main", "c" + std::to_string(i), "gitlab");
    clock_.Advance(milliseconds(100));
    for (const PendingTrigger& t : coalescer_.TakeDue()) {
      ++triggered;
      last_triggered = t.commit;
    }
  }
  // 20 reports over 2 s with a 0.5 s window: a trigger every 5 reports.
  EXPECT_EQ(triggered, 4);
  EXPECT_EQ(last_triggered, "c19");
  EXPECT_EQ(coalescer_.pending(), 0u);
}

TEST_F(CoalescerTest, BranchesAndRepositoriesAreIndependent) {
  coalescer_.Report("r", "main", "m1", "poll");
  clock_.Advance(milliseconds(200));
  coalescer_.Report("r", "dev", "d1", "poll");
  coalescer_.Report("other", "main", "o1", "poll");
  EXPECT_EQ(coalescer_.pending(), 3u);
  clock_.Advance(milliseconds(300));
  std::vector<PendingTrigger> due = coalescer_.TakeDue();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].commit, "m1");
  EXPECT_EQ(*coalescer_.NextDue(), clock_.Now() + milliseconds(200));
  clock_.Advance(milliseconds(200));
  due = coalescer_.TakeDue();
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].branch == "dev" ? due[1].repository : due[0].repository, "other");
}

TEST_F(CoalescerTest, TakeDueOrdersByDueTime) {
  coalescer_.Report("z", "main", "z1", "poll");
  clock_.Advance(milliseconds(10));
  coalescer_.Report("a", "main", "a1", "poll");
  clock_.Advance(milliseconds(1000));
  std::vector<PendingTrigger> due = coalescer_.TakeDue();
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].commit, "z1");
  EXPECT_EQ(due[1].commit, "a1");
}

TEST_F(CoalescerTest, TakeAllHandsOutPendingWorkOnShutdown) {
  coalescer_.Report("r", "main", "c1", "poll");
  coalescer_.Report("r", "main", "c2", "poll");
  std::vector<PendingTrigger> all = coalescer_.TakeAll();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].commit, "c2");
  EXPECT_EQ(coalescer_.pending(), 0u);
}

TEST(CoalescerZeroWindowTest, ZeroWindowIsDueAtOnce) {
  FakeClock clock;
  TriggerCoalescer c(&clock, milliseconds(0));
  c.Report("r", "main", "c1", "manual");
  std::vector<PendingTrigger> due = c.TakeDue();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].commit, "c1");
}

TEST(CoalescerZeroWindowTest, NewBurstAfterTakeStartsAFreshWindow) {
  FakeClock clock;
  TriggerCoalescer c(&clock, milliseconds(300));
  c.Report("r", "main", "c1", "poll");
  clock.Advance(milliseconds(300));
  ASSERT_EQ(c.TakeDue().size(), 1u);
  EXPECT_EQ(c.Report("r", "main", "c2", "poll"), "");  // c1 was handed out, not superseded
  EXPECT_EQ(*c.NextDue(), clock.Now() + milliseconds(300));
}

}  // namespace
// The default: no window. A report is due at once unless a run of the same
// branch is still queued; what arrives meanwhile becomes one trigger for the
// newest commit, due as soon as that run leaves the queue.
TEST(CoalescerNoWindowTest, StartsAtOnceAndHoldsOnlyWhileARunIsQueued) {
  FakeClock clock;
  TriggerCoalescer c(&clock, milliseconds(0));
  EXPECT_EQ(c.Report("r", "main", "c1", "gitlab"), "");
  ASSERT_TRUE(c.NextDue().has_value());
  EXPECT_EQ(*c.NextDue(), clock.Now());
  std::vector<PendingTrigger> due = c.TakeDue();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].commit, "c1");
  c.Hold("r", "main");  // c1's run is queued

  clock.Advance(milliseconds(10));
  EXPECT_EQ(c.Report("r", "main", "c2", "gitlab"), "");
  clock.Advance(milliseconds(10));
  EXPECT_EQ(c.Report("r", "main", "c3", "gitlab"), "c2");
  EXPECT_EQ(c.Report("r", "other", "o1", "gitlab"), "");  // another branch is not held
  clock.Advance(std::chrono::hours(1));  // however long the queue takes
  EXPECT_FALSE(c.NextDue().has_value() && *c.NextDue() > clock.Now());
  due = c.TakeDue();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].branch, "other");
  EXPECT_FALSE(c.NextDue().has_value()) << "a held burst is never due";
  EXPECT_EQ(c.pending(), 1u);

  c.Release("r", "main");  // c1's run started
  ASSERT_TRUE(c.NextDue().has_value());
  due = c.TakeDue();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].commit, "c3");
  EXPECT_EQ(due[0].superseded, (std::vector<std::string>{"c2"}));
  EXPECT_EQ(due[0].reports, 2);
  EXPECT_EQ(c.pending(), 0u);
}

TEST(CoalescerNoWindowTest, AHeldBurstIsHandedOverAtShutdown) {
  FakeClock clock;
  TriggerCoalescer c(&clock, milliseconds(0));
  c.Hold("r", "main");
  EXPECT_TRUE(c.held("r", "main"));
  c.Report("r", "main", "c1", "poll");
  EXPECT_TRUE(c.TakeDue().empty());
  std::vector<PendingTrigger> all = c.TakeAll();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].commit, "c1");
  c.Release("r", "main");
  EXPECT_FALSE(c.held("r", "main"));
}

}  // namespace mlops::triggers
