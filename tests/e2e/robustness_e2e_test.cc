// End to end: crashes, signals, hostile requests and misbehaving plugins
// against the real mlopsd.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "daemon_harness.h"
#include "mlops/registry/store.h"

namespace mlops::e2e {
namespace {

using nlohmann::json;

json RunJson(const Daemon& d, const std::string& id) {
  auto r = d.Ctl({"--json", "runs", "show", id});
  return r.exit_code == 0 ? json::parse(r.out) : json::object();
}

bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

class RobustnessE2E : public ::testing::Test {
 protected:
  void SetUp() override { ::mkdir(dir_.Sub("pipelines").c_str(), 0755); }
  TempDir dir_;
};

TEST_F(RobustnessE2E, KillDashNineMidRunLosesNoFinishedStage) {
  WriteText(dir_.Sub("pipelines/chain.yaml"), R"(version: 1
name: chain
stages:
  - {name: s1, uses: exec, run: "sh -c 'echo one > one.txt'", outputs: [one.txt]}
  - {name: s2, uses: exec, needs: [s1], run: "sh -c 'cat one.txt > two.txt; echo two >> two.txt'", outputs: [two.txt]}
  - {name: s3, uses: exec, needs: [s2], run: "sh -c 'test -f release && cp two.txt three.txt || sleep 60'", outputs: [three.txt]}
)");
  auto d = std::make_unique<Daemon>(dir_.Sub("state"), dir_.Sub("pipelines"));
  ASSERT_TRUE(d->Start()) << ReadText(d->log_path());
  auto t = d->Ctl({"trigger", "chain"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const std::string id = t.out.substr(0, t.out.find('\n'));
  ASSERT_TRUE(WaitFor([&] {
    json run = RunJson(*d, id);
    return run.contains("stages") && run["stages"].size() == 3 && run["stages"][2]["status"] == "running";
  }, std::chrono::seconds(20)));
  d->Stop(SIGKILL);

  ASSERT_TRUE(registry::CheckSqliteIntegrity(dir_.Sub("state/registry.db")).ok());
  // Let the recovered run finish quickly.
  WriteText(dir_.Sub("pipelines/release"), "");
  d = std::make_unique<Daemon>(dir_.Sub("state"), dir_.Sub("pipelines"));
  ASSERT_TRUE(d->Start()) << ReadText(d->log_path());
  json old = RunJson(*d, id);
  EXPECT_EQ(old["status"], "interrupted");
  ASSERT_GE(old["stages"].size(), 3u);
  EXPECT_EQ(old["stages"][0]["status"], "succeeded");
  EXPECT_EQ(old["stages"][1]["status"], "succeeded");
  EXPECT_EQ(old["stages"][2]["status"], "interrupted");
  // The recovery run reuses s1 and s2 and finishes s3.
  const std::string retry_id = std::to_string(std::stoll(id) + 1);
  auto w = d->Ctl({"--json", "runs", "wait", retry_id, "--timeout", "30"});
  ASSERT_EQ(w.exit_code, 0) << w.out << w.err << ReadText(d->log_path());
  json retry = json::parse(w.out);
  EXPECT_EQ(retry["trigger"], "recovery");
  EXPECT_TRUE(retry["stages"][0]["cache_hit"].get<bool>());
  EXPECT_TRUE(retry["stages"][1]["cache_hit"].get<bool>());
  EXPECT_FALSE(retry["stages"][2]["cache_hit"].get<bool>());
}

TEST_F(RobustnessE2E, SigtermEndsRunningStagesAndExitsCleanly) {
  // The stage's command line is this test process's own (pgrep looks at
  // every process of the machine, other copies of this test included).
  const std::string sleep_arg = "120." + std::to_string(::getpid());
  const std::vector<std::string> pgrep = {"/usr/bin/pgrep", "-f", "sleep " + sleep_arg + "$"};
  WriteText(dir_.Sub("pipelines/slow.yaml"), "version: 1\nname: slow\nstages:\n"
            "  - {name: a, uses: exec, run: \"sleep " + sleep_arg + "\"}\n");
  Daemon d(dir_.Sub("state"), dir_.Sub("pipelines"), {}, {});
  ASSERT_TRUE(d.Start());
  auto t = d.Ctl({"trigger", "slow"});
  const std::string id = t.out.substr(0, t.out.find('\n'));
  ASSERT_TRUE(WaitFor([&] { return RunJson(d, id)["status"] == "running"; }, std::chrono::seconds(20)));
  // The run says running before its stage's process exists: wait for it.
  ASSERT_TRUE(WaitFor([&] { return RunCommand(pgrep).exit_code == 0; }, std::chrono::seconds(20)));
  const auto start = std::chrono::steady_clock::now();
  int status = d.Stop(SIGTERM, std::chrono::seconds(20));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // Ended by the stop (SIGTERM, kill_grace 5 s), not waited for: far below
  // the stage's 120 s, with room for a loaded machine.
  EXPECT_LT(took, std::chrono::seconds(60));
  // No `sleep 120.<pid>` survives its stage.
  auto ps = RunCommand(pgrep);
  EXPECT_NE(ps.exit_code, 0) << "left behind: " << ps.out;
  EXPECT_TRUE(registry::CheckSqliteIntegrity(dir_.Sub("state/registry.db")).ok());
  std::unique_ptr<registry::Store> store;
  ASSERT_TRUE(registry::OpenSqliteStore(dir_.Sub("state/registry.db"), &store).ok());
  registry::RunRecord run;
  ASSERT_TRUE(store->GetRun(std::stoll(id), &run).ok());
  EXPECT_EQ(run.status, registry::RunStatus::kInterrupted);
}

TEST_F(RobustnessE2E, MalformedRequestsGetProblemDocumentsAndTheDaemonStaysUp) {
  WriteText(dir_.Sub("pipelines/ok.yaml"),
            "version: 1\nname: ok\nstages:\n  - {name: a, uses: exec, run: \"true\"}\n");
  Daemon d(dir_.Sub("state"), dir_.Sub("pipelines"));
  ASSERT_TRUE(d.Start());
  struct Case { std::string method, path, body; int status; std::string detail; };
  const std::vector<Case> cases = {
      {"GET", "/api/v1/runs/abc", "", 400, "run id must be a positive integer"},
      {"GET", "/api/v1/runs/-1", "", 400, "run id must be a positive integer"},
      {"GET", "/api/v1/runs/999999", "", 404, ""},
      {"GET", "/api/v1/runs?limit=0", "", 400, "limit must be an integer"},
      {"GET", "/api/v1/runs/1?view=everything", "", 400, "view must be 'full' or 'summary'"},
      {"GET", "/api/v1/runs/1?view=summary&after_attempt=x", "", 400,
       "after_attempt must be a positive integer"},
      {"GET", "/api/v1/runs?status=bogus", "", 400, "unknown run status 'bogus'"},
      {"GET", "/api/v1/nosuch", "", 404, "no such endpoint"},
      {"DELETE", "/api/v1/runs", "", 405, "not allowed"},
      {"POST", "/api/v1/pipelines/ok/runs", "{not json", 400, "must be a JSON object"},
      {"POST", "/api/v1/pipelines/ok/runs", "[1,2]", 400, "must be a JSON object"},
      {"POST", "/api/v1/pipelines/ok/runs", "{\"force\": \"yes\"}", 400, "'force' must be a boolean"},
      {"POST", "/api/v1/pipelines/nosuch/runs", "{}", 404, "no pipeline named 'nosuch'"},
      {"GET", "/api/v1/artifacts/../../etc/passwd", "", 404, ""},
      {"GET", "/api/v1/artifacts/zzzz", "", 400, "64 lower-case hex"},
      {"GET", "/api/v1/lineage/" + std::string(64, 'a') + "?direction=sideways", "", 400, "direction"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"/usr/bin/curl", "-s", "-o", "-", "-w", "\n%{http_code} %{content_type}",
                                     "-X", c.method, d.url() + c.path};
    for (const auto& a : d.CurlAuth()) args.push_back(a);
    if (!c.body.empty()) {
      args.push_back("--data-binary");
      args.push_back(c.body);
    }
    auto r = RunCommand(args);
    ASSERT_EQ(r.exit_code, 0) << c.path;
    const size_t nl = r.out.rfind('\n');
    const std::string body = r.out.substr(0, nl);
    const std::string tail = r.out.substr(nl + 1);
    EXPECT_EQ(tail.substr(0, 3), std::to_string(c.status)) << c.method << " " << c.path << ": " << r.out;
    EXPECT_NE(tail.find("application/problem+json"), std::string::npos) << c.path;
    json problem = json::parse(body, nullptr, false);
    ASSERT_TRUE(problem.is_object()) << body;
    EXPECT_EQ(problem["status"], c.status);
    EXPECT_NE(problem["detail"].get<std::string>().find(c.detail), std::string::npos)
        << c.path << ": " << problem.dump();
  }
  EXPECT_TRUE(d.Running());
  EXPECT_EQ(d.Ctl({"trigger", "ok", "--wait"}).exit_code, 0);
}

TEST_F(RobustnessE2E, CrashingPluginsCostAnAttemptNeverTheDaemon) {
  struct Case { std::string plugin; int signal; std::string error; };
  const std::vector<Case> cases = {
      {"segfault", 11, "SIGSEGV"},
      {"abort", 6, "SIGABRT"},
      {"throw", 0, ""},
      {"exit_without_result", 0, "without reporting a result"},
  };
  for (const auto& c : cases) {
    WriteText(dir_.Sub("pipelines/" + c.plugin + ".yaml"),
              "version: 1\nname: crash-" + c.plugin + "\nstages:\n  - {name: s, uses: " + c.plugin +
                  ", retries: 1, retry_backoff: 10ms}\n");
  }
  Daemon d(dir_.Sub("state"), dir_.Sub("pipelines"), {PluginDir(), FixturePluginDir()});
  ASSERT_TRUE(d.Start()) << ReadText(d.log_path());
  for (const auto& c : cases) {
    auto r = d.Ctl({"--json", "trigger", "crash-" + c.plugin, "--wait", "--timeout", "60"});
    EXPECT_EQ(r.exit_code, 1) << c.plugin << r.out << r.err;
    json run = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(run.is_object()) << c.plugin << ": " << r.out << r.err;
    ASSERT_EQ(run["stages"].size(), 2u) << c.plugin << ": every crash costs one attempt, retried once";
    for (const auto& s : run["stages"]) {
      EXPECT_EQ(s["status"], "failed") << c.plugin;
      EXPECT_EQ(s["signal"], c.signal) << c.plugin;
      EXPECT_NE(s["error"].get<std::string>().find(c.error), std::string::npos)
          << c.plugin << ": " << s["error"];
    }
    EXPECT_TRUE(d.Running()) << "daemon died after plugin " << c.plugin;
  }
  EXPECT_EQ(d.Ctl({"runs", "list"}).exit_code, 0);
}

}  // namespace
}  // namespace mlops::e2e
