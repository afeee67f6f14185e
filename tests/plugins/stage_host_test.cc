// mlops-stage on its own: --describe, load refusals, and the event stream
// on fd 3 of a run started by hand (not through the daemon's runner).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlops/common/files.h"
#include "process/attempt_harness.h"
#include "process/captured_command.h"

extern char** environ;

namespace mlops {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

CapturedRun Host(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {MLOPS_STAGE_HOST_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  CapturedRun run;
  EXPECT_TRUE(RunCaptured(argv, 20s, &run).ok());
  return run;
}

TEST(StageHostTest, DescribePrintsOneJsonLine) {
  CapturedRun run = Host({"--describe", MLOPS_EXEC_PLUGIN_PATH});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_FALSE(run.out.empty());
  EXPECT_EQ(run.out.back(), '\n');
  EXPECT_EQ(run.out.find('\n'), run.out.size() - 1);
  json doc = json::parse(run.out);
  EXPECT_EQ(doc, json::parse(R"({"name":"exec","version":"1.0.0","abi_major":1,"abi_minor":0})"));
}

TEST(StageHostTest, DescribeRefusesAnotherAbiMajorNamingBothVersions) {
  std::string path = testing::FixturePath("wrong_abi");
  CapturedRun run = Host({"--describe", path});
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "mlops-stage: plugin " + path + " was built for ABI 2, this host speaks ABI 1\n");
}

TEST(StageHostTest, DescribeRefusesAMissingEntrySymbol) {
  std::string path = testing::FixturePath("no_entry");
  CapturedRun run = Host({"--describe", path});
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_EQ(run.err,
            "mlops-stage: plugin " + path + " does not export the entry symbol 'mlops_plugin_entry'\n");
}

TEST(StageHostTest, DescribeRefusesAFileThatIsNotAPlugin) {
  CapturedRun run = Host({"--describe", "/etc/hostname"});
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_NE(run.err.find("cannot load plugin /etc/hostname"), std::string::npos) << run.err;
}

TEST(StageHostTest, BadCommandLineIsAUsageError) {
  CapturedRun run = Host({"--frobnicate"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("usage: mlops-stage"), std::string::npos);
}

// Runs the host by hand with a pipe on fd 3; returns the event lines.
std::vector<json> RunWithEventPipe(const std::string& plugin, const std::string& spec_path,
                                   int* wait_status,
                                   const std::string& stdout_path = "/dev/null") {
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, fds[1], 3);
  ::posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::string host = MLOPS_STAGE_HOST_PATH;
  std::vector<char*> argv = {host.data(), const_cast<char*>("--plugin"),
                             const_cast<char*>(plugin.c_str()), const_cast<char*>("--spec"),
                             const_cast<char*>(spec_path.c_str()), nullptr};
  pid_t pid = -1;
  EXPECT_EQ(::posix_spawn(&pid, host.c_str(), &actions, nullptr, argv.data(), environ), 0);
  ::posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, n);
  ::close(fds[0]);
  ::waitpid(pid, wait_status, 0);
  std::vector<json> events;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    events.push_back(json::parse(text.substr(start, nl - start)));
  }
  EXPECT_EQ(start, text.size()) << "a partial last line";
  return events;
}

TEST(StageHostTest, RunStreamsEventsAndEndsWithOneResult) {
  testing::TempDir dir;
  std::string work = dir / "work";
  ASSERT_TRUE(MakeDirs(work).ok());
  json spec = {{"attempt_id", 77},
               {"params_json", R"({"x":1})"},
               {"inputs", json::array({{{"name", "a"}, {"path", "/in/a"}}})},
               {"work_dir", work},
               {"scratch_dir", dir / "scratch/run-1/train"},
               {"env", {{"MLOPS_TEST_VAR", "v"}}}};
  ASSERT_TRUE(WriteFileAtomic(dir / "spec.json", spec.dump()).ok());
  int status = 0;
  std::vector<json> events =
      RunWithEventPipe(testing::FixturePath("reporter"), dir / "spec.json", &status,
                       dir / "stdout.log");
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_FALSE(events.empty());
  int results = 0, metrics = 0;
  for (const json& e : events) {
    results += e["type"] == "result";
    metrics += e["type"] == "metric";
    if (e["type"] == "artifact") {
      EXPECT_EQ(e["path"], work + "/model.bin");
    }
  }
  EXPECT_EQ(results, 1);
  EXPECT_EQ(metrics, 2);
  EXPECT_EQ(events.back(), json::parse(R"({"type":"result","status":"OK","error":""})"));
  // Log lines go to the stage log (stdout) only, never as events.
  for (const json& e : events) EXPECT_NE(e["type"], "log") << e.dump();
  std::string log;
  ASSERT_TRUE(ReadFile(dir / "stdout.log", &log).ok());
  EXPECT_NE(log.find(R"([info] params={"x":1})"), std::string::npos) << log;
  // The scratch folder (and its parents) is made when the plugin asks for it.
  struct stat st;
  ASSERT_EQ(::stat((dir / "scratch/run-1/train").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(StageHostTest, UnreadableSpecReportsAResultAndExitsWithUsage) {
  int status = 0;
  std::vector<json> events =
      RunWithEventPipe(MLOPS_EXEC_PLUGIN_PATH, "/no/such/spec.json", &status);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["status"], "ERROR");
  EXPECT_NE(events[0]["error"].get<std::string>().find("/no/such/spec.json"), std::string::npos);
}

}  // namespace
}  // namespace mlops
