#include "mlops/registry/records.h"

#include <gtest/gtest.h>

namespace mlops::registry {
namespace {

TEST(RecordsTest, RunStatusNamesRoundTrip) {
  const std::pair<RunStatus, const char*> cases[] = {
      {RunStatus::kQueued, "queued"},       {RunStatus::kRunning, "running"},
      {RunStatus::kSucceeded, "succeeded"}, {RunStatus::kFailed, "failed"},
      {RunStatus::kCancelled, "cancelled"}, {RunStatus::kInterrupted, "interrupted"}};
  for (const auto& [value, name] : cases) {
    EXPECT_STREQ(ToString(value), name);
    RunStatus parsed = RunStatus::kQueued;
    ASSERT_TRUE(ParseRunStatus(name, &parsed)) << name;
    EXPECT_EQ(parsed, value);
  }
}

TEST(RecordsTest, AttemptStatusNamesRoundTrip) {
  const std::pair<AttemptStatus, const char*> cases[] = {
      {AttemptStatus::kRunning, "running"},        {AttemptStatus::kSucceeded, "succeeded"},
      {AttemptStatus::kFailed, "failed"},          {AttemptStatus::kTimedOut, "timed_out"},
      {AttemptStatus::kCancelled, "cancelled"},    {AttemptStatus::kCached, "cached"},
      {AttemptStatus::kInterrupted, "interrupted"}};
  for (const auto& [value, name] : cases) {
    EXPECT_STREQ(ToString(value), name);
    AttemptStatus parsed = AttemptStatus::kRunning;
    ASSERT_TRUE(ParseAttemptStatus(name, &parsed)) << name;
    EXPECT_EQ(parsed, value);
  }
}

TEST(RecordsTest, EdgeKindNamesRoundTrip) {
  EXPECT_STREQ(ToString(EdgeKind::kConsumed), "consumed");
  EXPECT_STREQ(ToString(EdgeKind::kProduced), "produced");
  EdgeKind k = EdgeKind::kProduced;
  ASSERT_TRUE(ParseEdgeKind("consumed", &k));
  EXPECT_EQ(k, EdgeKind::kConsumed);
  ASSERT_TRUE(ParseEdgeKind("produced", &k));
  EXPECT_EQ(k, EdgeKind::kProduced);
}

TEST(RecordsTest, UnknownNamesAreRejectedAndLeaveTheOutputAlone) {
  RunStatus run = RunStatus::kFailed;
  EXPECT_FALSE(ParseRunStatus("Succeeded", &run));
  EXPECT_FALSE(ParseRunStatus("", &run));
  EXPECT_EQ(run, RunStatus::kFailed);
  AttemptStatus attempt = AttemptStatus::kCached;
  EXPECT_FALSE(ParseAttemptStatus("timed-out", &attempt));
  EXPECT_EQ(attempt, AttemptStatus::kCached);
  EdgeKind kind = EdgeKind::kConsumed;
  EXPECT_FALSE(ParseEdgeKind("made", &kind));
  EXPECT_EQ(kind, EdgeKind::kConsumed);
}

TEST(RecordsTest, OnlyFinalRunStatusesAreTerminal) {
  EXPECT_TRUE(IsTerminal(RunStatus::kSucceeded));
  EXPECT_TRUE(IsTerminal(RunStatus::kFailed));
  EXPECT_TRUE(IsTerminal(RunStatus::kCancelled));
  EXPECT_FALSE(IsTerminal(RunStatus::kQueued));
  EXPECT_FALSE(IsTerminal(RunStatus::kRunning));
  EXPECT_FALSE(IsTerminal(RunStatus::kInterrupted));
}

}  // namespace
}  // namespace mlops::registry
