// End to end, the fault suite's OS seams: the real mlopsd with an
// injectable file layer (io_fault_preload.c) that makes writes to stage
// logs, the content store or the registry fail with EIO while a switch
// file exists, and a plugin that floods the event pipe. Each fault must end
// in a recorded, explained state, and the daemon must go on without a
// restart once the fault is gone.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "daemon_harness.h"

namespace mlops::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return cond();
}

class FaultE2E : public ::testing::Test {
 protected:
  void SetUp() override { ::mkdir(dir_.Sub("pipelines").c_str(), 0755); }

  // A daemon whose writes to paths containing `path_part` fail with EIO
  // while Inject(true) holds. The variables reach mlopsd only: they are
  // set around its spawn.
  std::unique_ptr<Daemon> StartFaultyDaemon(const std::string& path_part) {
    auto d = std::make_unique<Daemon>(dir_.Sub("state"), dir_.Sub("pipelines"),
                                      std::vector<std::string>{PluginDir(), FixturePluginDir()});
    ::setenv("LD_PRELOAD", MLOPS_IO_FAULT_PRELOAD, 1);
    ::setenv("MLOPS_FAULT_SWITCH", switch_file().c_str(), 1);
    ::setenv("MLOPS_FAULT_PATH", path_part.c_str(), 1);
    const bool started = d->Start();
    ::unsetenv("LD_PRELOAD");
    ::unsetenv("MLOPS_FAULT_SWITCH");
    ::unsetenv("MLOPS_FAULT_PATH");
    EXPECT_TRUE(started) << ReadText(d->log_path());
    return started ? std::move(d) : nullptr;
  }
  std::string switch_file() const { return dir_.Sub("eio-on"); }
  void Inject(bool on) {
    if (on) {
      WriteText(switch_file(), "");
    } else {
      ::unlink(switch_file().c_str());
    }
  }
  json RunJson(const Daemon& d, const std::string& id) {
    auto r = d.Ctl({"--json", "runs", "show", id});
    return r.exit_code == 0 ? json::parse(r.out) : json::object();
  }
  static bool Ended(const json& run) {
    return run.contains("status") && run["status"] != "queued" && run["status"] != "running";
  }
  std::string Trigger(const Daemon& d, const std::string& pipeline) {
    auto t = d.Ctl({"trigger", "--force", pipeline});
    EXPECT_EQ(t.exit_code, 0) << t.err;
    return t.out.substr(0, t.out.find('\n'));
  }
  std::string ReadyzCode(const Daemon& d) {
    std::vector<std::string> a = {"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}"};
    for (const auto& x : d.CurlAuth()) a.push_back(x);
    a.push_back(d.url() + "/readyz");
    return RunCommand(a).out;
  }

  // Triggers `pipeline` with the fault on: the run fails, naming the I/O
  // error. Then, with the fault off, a next run succeeds; its JSON.
  json FailsUnderFaultThenSucceeds(const Daemon& d, const std::string& pipeline, const char* what) {
    Inject(true);
    const std::string id = Trigger(d, pipeline);
    json run;
    EXPECT_TRUE(WaitFor([&] { return Ended(run = RunJson(d, id)); }, 60s)) << run.dump();
    EXPECT_EQ(run["status"], "failed") << run.dump();
    std::printf("EIO on %s: %s\n", what, run.value("error", "").c_str());
    EXPECT_NE((run.value("error", "") + run["stages"].dump()).find("Input/output error"),
              std::string::npos)
        << run.dump();
    Inject(false);
    auto next = d.Ctl({"--json", "trigger", "--force", pipeline, "--wait"});
    EXPECT_EQ(next.exit_code, 0) << next.out << next.err << ReadText(d.log_path());
    json ok = next.exit_code == 0 ? json::parse(next.out) : json::object();
    EXPECT_EQ(ok.value("status", ""), "succeeded");
    return ok;
  }

  TempDir dir_;
};

// A stage whose log cannot be written fails, naming the I/O error; the
// daemon log says so; once the disk behaves, the next run succeeds.
TEST_F(FaultE2E, EioOnAStageLogFailsTheAttemptSayingSo) {
  WriteText(dir_.Sub("pipelines/talk.yaml"),
            "version: 1\nname: talk\nstages:\n  - {name: say, uses: exec, run: \"echo hello\"}\n");
  auto d = StartFaultyDaemon("/logs/");
  ASSERT_TRUE(d);
  FailsUnderFaultThenSucceeds(*d, "talk", "the stage log");
  EXPECT_NE(ReadText(d->log_path()).find("Input/output error"), std::string::npos);
}

// A stage output that cannot enter the content store fails the attempt
// with the reason, and leaves no half-written file in the store.
TEST_F(FaultE2E, EioOnTheContentStoreFailsTheAttemptSayingSo) {
  WriteText(dir_.Sub("pipelines/make.yaml"),
            "version: 1\nname: make\nstages:\n"
            "  - {name: make, uses: exec, run: \"sh -c 'echo data > out.txt'\", outputs: [out.txt]}\n");
  auto d = StartFaultyDaemon("/artifacts/");
  ASSERT_TRUE(d);
  json ok = FailsUnderFaultThenSucceeds(*d, "make", "the content store");
  ASSERT_EQ(ok["stages"].size(), 1u);
  EXPECT_EQ(ok["stages"][0]["artifacts"].size(), 1u) << ok.dump();
  // The failed write left no temporary file behind.
  auto leftovers = RunCommand({"/usr/bin/find", dir_.Sub("state") + "/artifacts/tmp", "-type", "f"});
  EXPECT_EQ(leftovers.out, "");
}

// The registry file fails every write while a run's only stage ends: an
// I/O error is a lasting refusal (docs/limits.md), so the run fails naming
// it, but nothing is reported ended before it is recorded (/readyz says
// why meanwhile), the attempt's own result is written once the disk
// behaves, with no restart, and the file stays sound.
TEST_F(FaultE2E, EioOnTheRegistryIsExplainedAndRecordedOnceTheDiskBehaves) {
  const std::string go = dir_.Sub("go");
  WriteText(dir_.Sub("pipelines/slow.yaml"),
            "version: 1\nname: slow\nstages:\n  - {name: a, uses: exec, run: \"sh -c 'while ! test -f " +
                go + "; do sleep 0.1; done'\"}\n");
  auto d = StartFaultyDaemon("registry.db");
  ASSERT_TRUE(d);
  const std::string id = Trigger(*d, "slow");
  ASSERT_TRUE(WaitFor([&] { return RunJson(*d, id).value("status", "") == "running"; }, 60s));
  Inject(true);
  WriteText(go, "");
  EXPECT_TRUE(WaitFor([&] { return ReadyzCode(*d) == "503"; }, 30s)) << ReadText(d->log_path());
  EXPECT_FALSE(Ended(RunJson(*d, id))) << "a run's end was reported before it was recorded";
  Inject(false);
  json run;
  ASSERT_TRUE(WaitFor([&] { return Ended(run = RunJson(*d, id)); }, 60s))
      << ReadText(d->log_path());
  EXPECT_EQ(run["status"], "failed") << run.dump();
  EXPECT_NE(run.value("error", "").find("disk I/O error"), std::string::npos) << run.dump();
  ASSERT_EQ(run["stages"].size(), 1u);
  EXPECT_TRUE(WaitFor([&] { return RunJson(*d, id)["stages"][0].value("status", "") == "succeeded"; },
                      30s))
      << RunJson(*d, id).dump();
  EXPECT_TRUE(WaitFor([&] { return ReadyzCode(*d) == "200"; }, 30s));
  const std::string log = ReadText(d->log_path());
  EXPECT_NE(log.find("disk I/O error"), std::string::npos) << log;
  EXPECT_NE(log.find("registry writes recovered"), std::string::npos) << log;

  // Durable: a restart finds the run as reported, and the file is sound.
  ASSERT_EQ(d->Stop(), 0);
  if (::access("/usr/bin/sqlite3", X_OK) != 0) GTEST_SKIP() << "no sqlite3 command-line client";
  auto check = RunCommand({"/usr/bin/sqlite3", "-readonly", dir_.Sub("state") + "/registry.db",
                           "PRAGMA integrity_check; SELECT status FROM runs WHERE id = " + id + ";"});
  EXPECT_EQ(check.out, "ok\nfailed\n") << check.err;
}

// 100,000 metric events as fast as a plugin can send them fill the event
// pipe many times over: the plugin waits for the daemon, nothing is
// dropped, and the run ends recorded.
TEST_F(FaultE2E, AFullEventPipeSlowsThePluginAndLosesNoMetric) {
  WriteText(dir_.Sub("pipelines/chatty.yaml"),
            "version: 1\nname: chatty\nstages:\n  - {name: flood, uses: metric_flood}\n");
  Daemon d(dir_.Sub("state"), dir_.Sub("pipelines"), {PluginDir(), FixturePluginDir()});
  ASSERT_TRUE(d.Start()) << ReadText(d.log_path());
  auto r = d.Ctl({"--json", "trigger", "chatty", "--wait"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << ReadText(d.log_path());
  json run = json::parse(r.out);
  EXPECT_EQ(run["status"], "succeeded");
  auto m = d.Ctl({"--json", "runs", "show", run["id"].dump()});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  json metrics = json::parse(m.out);
  size_t points = 0;
  int64_t last_step = -1;
  std::function<void(const json&)> walk = [&](const json& j) {
    if (j.is_object() && j.contains("key") && j.value("key", "") == "flood" && j.contains("step")) {
      ++points;
      last_step = std::max(last_step, j["step"].get<int64_t>());
    }
    if (j.is_structured()) {
      for (const auto& x : j) walk(x);
    }
  };
  walk(metrics);
  EXPECT_EQ(points, 100000u);
  EXPECT_EQ(last_step, 99999);
}

}  // namespace
}  // namespace mlops::e2e
