// The exec plugin end to end: ProcessStageRunner -> mlops-stage -> exec.so
// -> the command, with its log, environment, outputs and failures.
#include <gtest/gtest.h>

#include <map>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "mlops/common/files.h"
#include "process/attempt_harness.h"
#include "process/process_stage_runner.h"
#include "process/stage_orphans.h"

namespace mlops {
namespace {

using namespace std::chrono_literals;
using Kind = AttemptOutcome::Kind;
using nlohmann::json;

class ExecPluginTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(BecomeChildSubreaper().ok()); }

  AttemptSpec Spec(int64_t id, const json& params) {
    return testing::MakeSpec(dir_, id, MLOPS_EXEC_PLUGIN_PATH, params.dump());
  }

  AttemptOutcome Run(const AttemptSpec& spec) {
    runner_.Start(spec);
    AttemptOutcome out;
    EXPECT_TRUE(collector_.Wait(spec.attempt_id, &out)) << "no outcome";
    return out;
  }

  // Runs `params`, returns the outcome and, in *log, the stage log.
  AttemptOutcome Exec(const json& params, std::string* log = nullptr) {
    AttemptSpec spec = Spec(next_id_++, params);
    AttemptOutcome out = Run(spec);
    if (log != nullptr) *log = testing::ReadText(spec.log_path);
    return out;
  }

  static ProcessStageRunnerOptions Options() {
    ProcessStageRunnerOptions o;
    o.stage_host_path = MLOPS_STAGE_HOST_PATH;
    return o;
  }

  testing::TempDir dir_;
  testing::OutcomeCollector collector_;
  ProcessStageRunner runner_{Options(), collector_.Callback()};
  int64_t next_id_ = 1;
};

TEST_F(ExecPluginTest, EchoWritesToTheStageLog) {
  std::string log;
  AttemptOutcome out = Exec({{"run", "echo hello world"}}, &log);
  EXPECT_EQ(out.kind, Kind::kSucceeded) << out.error;
  EXPECT_EQ(log, "[info] exec: echo hello world\nhello world\n");
}

TEST_F(ExecPluginTest, QuotedWordsStayWhole) {
  std::string log;
  AttemptOutcome out = Exec({{"run", R"(printf '<%s>' "a b" 'c  d' e\ f)"}}, &log);
  EXPECT_EQ(out.kind, Kind::kSucceeded) << out.error;
  EXPECT_NE(log.find("<a b><c  d><e f>"), std::string::npos) << log;
}

TEST_F(ExecPluginTest, ArgvListIsPassedAsIs) {
  std::string log;
  AttemptOutcome out = Exec({{"argv", {"printf", "%s|", "a b", "$HOME", "*"}}}, &log);
  EXPECT_EQ(out.kind, Kind::kSucceeded) << out.error;
  EXPECT_NE(log.find("a b|$HOME|*|"), std::string::npos) << log;
}

TEST_F(ExecPluginTest, NoShellUnlessAsked) {
  AttemptOutcome refused = Exec({{"run", "echo a; echo b"}});
  EXPECT_EQ(refused.kind, Kind::kFailed);
  EXPECT_NE(refused.error.find("set `shell: true`"), std::string::npos) << refused.error;
  std::string log;
  AttemptOutcome shell = Exec({{"run", "echo a; echo b | tr b c"}, {"shell", true}}, &log);
  EXPECT_EQ(shell.kind, Kind::kSucceeded) << shell.error;
  EXPECT_NE(log.find("a\nc\n"), std::string::npos) << log;
}

TEST_F(ExecPluginTest, EnvIsAddedToTheHostEnvironment) {
  AttemptSpec spec = Spec(100, {{"run", "sh -c 'echo $FROM_PARAMS $FROM_SPEC $MLOPS_ATTEMPT_ID'"},
                                {"env", {{"FROM_PARAMS", "p"}}}});
  spec.env = {{"FROM_SPEC", "s"}};
  AttemptOutcome out = Run(spec);
  EXPECT_EQ(out.kind, Kind::kSucceeded) << out.error;
  EXPECT_NE(testing::ReadText(spec.log_path).find("p s 100\n"), std::string::npos);
}

TEST_F(ExecPluginTest, RunsInTheWorkDirWithStdinClosed) {
  std::string log;
  AttemptOutcome out = Exec({{"run", "sh -c 'pwd; cat; echo eof'"}}, &log);
  EXPECT_EQ(out.kind, Kind::kSucceeded) << out.error;
  EXPECT_NE(log.find(dir_ / "work" + "\neof\n"), std::string::npos) << log;
}

TEST_F(ExecPluginTest, CommandInheritsOnlyStdio) {
  std::string log;
  AttemptOutcome out = Exec({{"run", "ls /proc/self/fd"}}, &log);
  EXPECT_EQ(out.kind, Kind::kSucceeded) << out.error;
  // 3 is the folder ls itself opens; the event pipe (3) and spec (4) of the
  // host must not have leaked into the command.
  EXPECT_EQ(log, "[info] exec: ls /proc/self/fd\n0\n1\n2\n3\n");
}

TEST_F(ExecPluginTest, MetricsFileBecomesStageMetrics) {
  AttemptOutcome out = Exec({{"run", "sh -c 'echo {\\\"f1\\\": 0.97, \\\"rows\\\": 113, \\\"note\\\": \\\"x\\\"} > m.json'"},
                             {"metrics", "m.json"}});
  ASSERT_EQ(out.kind, Kind::kSucceeded) << out.error;
  ASSERT_EQ(out.metrics.size(), 2u);
  std::map<std::string, double> got;
  for (const auto& m : out.metrics) got[m.key] = m.value;
  EXPECT_DOUBLE_EQ(got["f1"], 0.97);
  EXPECT_DOUBLE_EQ(got["rows"], 113);
  AttemptOutcome missing = Exec({{"run", "true"}, {"metrics", "nope.json"}});
  EXPECT_EQ(missing.kind, Kind::kFailed);
  EXPECT_NE(missing.error.find("did not write its metrics file 'nope.json'"), std::string::npos)
      << missing.error;
  AttemptOutcome bad = Exec({{"run", "sh -c 'echo [1] > m.json'"}, {"metrics", "m.json"}});
  EXPECT_EQ(bad.kind, Kind::kFailed);
  EXPECT_NE(bad.error.find("is not a JSON object of numbers"), std::string::npos) << bad.error;
}

TEST_F(ExecPluginTest, DeclaredOutputsBecomeArtifacts) {
  AttemptOutcome out =
      Exec({{"run", "sh -c 'mkdir -p out && echo 1 > out/a.csv'"}, {"outputs", {"out/a.csv"}}});
  EXPECT_EQ(out.kind, Kind::kSucceeded) << out.error;
  ASSERT_EQ(out.outputs.size(), 1u);
  EXPECT_EQ(out.outputs[0].name, "out/a.csv");
  EXPECT_EQ(out.outputs[0].path, dir_ / "work/out/a.csv");
}

TEST_F(ExecPluginTest, MissingOutputIsAnErrorNamingIt) {
  AttemptOutcome out = Exec({{"run", "true"}, {"outputs", {"model.pt", "metrics.json"}}});
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_EQ(out.error,
            "the command succeeded but did not produce declared output 'model.pt', "
            "'metrics.json'");
}

TEST_F(ExecPluginTest, NonZeroExitCodeIsReported) {
  AttemptOutcome out = Exec({{"run", "sh -c 'exit 3'"}});
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_EQ(out.error, "command exited with code 3");
  EXPECT_EQ(out.exit_code, 1);  // the host's, not the command's
}

TEST_F(ExecPluginTest, CommandKilledBySignalIsReported) {
  AttemptOutcome out = Exec({{"run", "sh -c 'kill -SEGV $$'"}});
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_EQ(out.error, "command killed by signal SIGSEGV");
  EXPECT_EQ(out.signal, 0);  // the host itself exited normally
}

TEST_F(ExecPluginTest, UnknownCommandIsReported) {
  AttemptOutcome out = Exec({{"run", "no-such-command-xyz --flag"}});
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_EQ(out.error, "command not found: no-such-command-xyz");
}

TEST_F(ExecPluginTest, StderrGoesToTheLogToo) {
  std::string log;
  AttemptOutcome out = Exec({{"run", "sh -c 'echo oops >&2'"}}, &log);
  EXPECT_EQ(out.kind, Kind::kSucceeded);
  EXPECT_NE(log.find("oops\n"), std::string::npos) << log;
}

TEST_F(ExecPluginTest, CancelStopsTheCommandPromptly) {
  // Written whole (rename) so that the test never reads a half-written pid.
  AttemptSpec spec =
      Spec(200, {{"run", "sh -c 'echo $$ > cmd.tmp && mv cmd.tmp cmd.pid; exec sleep 300'"}});
  // Promptly: well inside a grace longer than any load delay, so that the
  // command ended on the plugin's SIGTERM, not on the runner's SIGKILL.
  spec.kill_grace = 120s;
  runner_.Start(spec);
  ASSERT_TRUE(testing::WaitForFile(spec.work_dir + "/cmd.pid"));
  pid_t command = testing::ReadPid(spec.work_dir + "/cmd.pid");
  auto cancelled = std::chrono::steady_clock::now();
  runner_.Cancel(200);
  AttemptOutcome out;
  ASSERT_TRUE(collector_.Wait(200, &out, 150s));
  EXPECT_LT(std::chrono::steady_clock::now() - cancelled, 60s);
  EXPECT_EQ(out.kind, Kind::kCancelled);
  EXPECT_TRUE(testing::ProcessGone(command));
}

TEST_F(ExecPluginTest, TimeoutEndsABackgroundedCommandToo) {
  AttemptSpec spec = Spec(300, {{"run", "sleep 30 & echo $! > bg.pid; wait"}, {"shell", true}});
  spec.timeout = 300ms;
  spec.kill_grace = 200ms;
  AttemptOutcome out = Run(spec);
  EXPECT_EQ(out.kind, Kind::kTimedOut);
  ASSERT_TRUE(PathExists(spec.work_dir + "/bg.pid"));
  EXPECT_TRUE(testing::ProcessGone(testing::ReadPid(spec.work_dir + "/bg.pid")));
}

TEST_F(ExecPluginTest, BadParamsAreAFailureNamingTheKey) {
  AttemptOutcome out = Exec({{"run", "true"}, {"env", "A=1"}});
  EXPECT_EQ(out.kind, Kind::kFailed);
  EXPECT_EQ(out.error, "env: expected a mapping of names to values");
}

}  // namespace
}  // namespace mlops
