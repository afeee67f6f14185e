// The daemon's decoding of the stage host's event stream and the mapping of
// (events, wait status, stop) to an AttemptOutcome: no processes involved.
#include "process/attempt_events.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <string>

namespace mlops {
namespace {

using namespace std::chrono_literals;
using Kind = AttemptOutcome::Kind;

constexpr int Exited(int code) { return code << 8; }
constexpr int Killed(int sig) { return sig; }

TEST(AttemptEventsTest, LinesSplitAcrossChunksAreJoined) {
  AttemptEvents events;
  std::string line = R"({"type":"metric","key":"loss","value":0.5,"step":3,"time_ms":7})";
  events.Feed(line.substr(0, 10));
  events.Feed(line.substr(10) + "\n" + R"({"type":"result","status":"OK","error":""})");
  EXPECT_FALSE(events.has_result());  // no newline yet
  events.Feed("\n");
  ASSERT_EQ(events.metrics().size(), 1u);
  EXPECT_EQ(events.metrics()[0].key, "loss");
  EXPECT_EQ(events.metrics()[0].step, 3);
  EXPECT_EQ(events.metrics()[0].time_ms, 7);
  EXPECT_TRUE(events.has_result());
  EXPECT_EQ(events.result_status(), "OK");
}

TEST(AttemptEventsTest, MalformedLinesAreCountedAndSkipped) {
  AttemptEvents events;
  events.Feed("not json\n{\"no_type\":1}\n{\"type\":\"metric\",\"key\":\"k\",\"value\":\"x\"}\n");
  events.Feed(R"({"type":"param","key":"lr","value":"0.1"})" "\n");
  EXPECT_EQ(events.malformed_lines(), 3);
  ASSERT_EQ(events.params().size(), 1u);
  EXPECT_EQ(events.params()[0], (std::pair<std::string, std::string>{"lr", "0.1"}));
}

TEST(AttemptEventsTest, AnOverlongLineIsDroppedWhole) {
  AttemptEvents events;
  std::string huge(AttemptEvents::kMaxLineBytes + 10, 'x');
  events.Feed(huge.substr(0, huge.size() / 2));
  events.Feed(huge.substr(huge.size() / 2) + "\n");
  events.Feed(R"({"type":"result","status":"OK","error":""})" "\n");
  EXPECT_EQ(events.malformed_lines(), 1);
  EXPECT_TRUE(events.has_result());
}

TEST(AttemptEventsTest, ProgressGoesToTheCallback) {
  double fraction = -1;
  std::string message;
  AttemptEvents events([&](double f, const std::string& m) {
    fraction = f;
    message = m;
  });
  events.Feed(R"({"type":"progress","fraction":0.75,"message":"epoch 3"})" "\n");
  EXPECT_DOUBLE_EQ(fraction, 0.75);
  EXPECT_EQ(message, "epoch 3");
}

AttemptOutcome Compose(const std::string& stream, int status, StopReason stop = StopReason::kNone) {
  AttemptEvents events;
  events.Feed(stream);
  return ComposeOutcome(42, &events, status, stop, 1500ms);
}

const char kOk[] = R"({"type":"result","status":"OK","error":""})" "\n";
const char kError[] = R"({"type":"result","status":"ERROR","error":"boom"})" "\n";

TEST(ComposeOutcomeTest, SucceedsOnlyWithResultOkAndExitZero) {
  AttemptOutcome out = Compose(std::string(R"({"type":"artifact","name":"m","path":"/w/m"})") +
                                   "\n" + kOk,
                               Exited(0));
  EXPECT_EQ(out.kind, Kind::kSucceeded);
  EXPECT_EQ(out.attempt_id, 42);
  EXPECT_EQ(out.exit_code, 0);
  ASSERT_EQ(out.outputs.size(), 1u);
  EXPECT_EQ(out.outputs[0].path, "/w/m");
}

TEST(ComposeOutcomeTest, ResultOkButNonZeroExitFails) {
  AttemptOutcome out = Compose(kOk, Exited(4));
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_EQ(out.error, "plugin reported success but the stage host exited with code 4");
}

TEST(ComposeOutcomeTest, ExitWithoutResultFails) {
  AttemptOutcome out = Compose("", Exited(0));
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_EQ(out.error, "stage host exited with code 0 without reporting a result");
}

TEST(ComposeOutcomeTest, SignalIsRecorded) {
  AttemptOutcome out = Compose("", Killed(SIGSEGV));
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_EQ(out.signal, SIGSEGV);
  EXPECT_EQ(out.exit_code, -1);
  EXPECT_EQ(out.error, "stage host killed by signal 11 (SIGSEGV)");
}

TEST(ComposeOutcomeTest, ReportedErrorIsKept) {
  AttemptOutcome out = Compose(kError, Exited(1));
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(out.error, "boom");
}

TEST(ComposeOutcomeTest, StopsWinOverWhatTheHostReported) {
  EXPECT_EQ(Compose(kOk, Exited(0), StopReason::kTimeout).kind, Kind::kTimedOut);
  AttemptOutcome timed_out = Compose("", Killed(SIGKILL), StopReason::kTimeout);
  EXPECT_EQ(timed_out.error, "timed out after 1500 ms; stage host killed by signal 9 (SIGKILL)");
  AttemptOutcome cancelled = Compose(kError, Exited(1), StopReason::kCancel);
  EXPECT_EQ(cancelled.kind, Kind::kCancelled);
  EXPECT_EQ(cancelled.error, "cancelled");
  EXPECT_EQ(Compose("", Killed(SIGKILL), StopReason::kShutdown).kind, Kind::kCancelled);
}

TEST(FormatDurationTest, PicksTheLargestExactUnit) {
  EXPECT_EQ(FormatDuration(1500ms), "1500 ms");
  EXPECT_EQ(FormatDuration(30s), "30s");
  EXPECT_EQ(FormatDuration(2min), "2m");
  EXPECT_EQ(FormatDuration(1h), "1h");
}

}  // namespace
}  // namespace mlops
