// End to end: the limits on a stage attempt (docs/limits.md) against the
// real mlopsd: a state folder that fills up, a stage over its memory limit
// and a stage that floods its output.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

#include "daemon_harness.h"

namespace mlops::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// The run as `runs show --json` has it, once it has ended or `limit` has
// passed (then as it was last seen).
json RunOnceEnded(const Daemon& d, const std::string& id, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  json run = json::object();
  for (;;) {
    auto r = d.Ctl({"--json", "runs", "show", id});
    if (r.exit_code == 0) run = json::parse(r.out);
    const bool ended = run.contains("status") && run["status"] != "queued" &&
                       run["status"] != "running";
    if (ended || std::chrono::steady_clock::now() >= until) return run;
    std::this_thread::sleep_for(50ms);
  }
}

std::string Trigger(const Daemon& d, const std::string& pipeline) {
  auto t = d.Ctl({"trigger", pipeline});
  EXPECT_EQ(t.exit_code, 0) << t.err;
  return t.out.substr(0, t.out.find('\n'));
}

class LimitsE2E : public ::testing::Test {
 protected:
  void SetUp() override { ::mkdir(dir_.Sub("pipelines").c_str(), 0755); }
  TempDir dir_;
};

// The state folder on a 16 MiB tmpfs, nearly filled by a ballast file; a
// stage writes 8 MB on stdout, which its log cannot hold. The run ends
// failed naming the full disk, the daemon log says so, and once the
// ballast is removed a next run succeeds, with no restart. (A tmpfs needs
// root; unprivileged, StageLimitsTest.ALogThatCannotBeWrittenFailsTheAttempt
// and SchedulerTest.ARunEndTheRegistryRefusedIsWrittenOnceItCan cover the
// same paths with /dev/full and a refusing registry.)
TEST_F(LimitsE2E, AFullStateFolderFailsTheRunAndTheDaemonRecoversWithoutARestart) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
  const std::string state = dir_.Sub("state");
  ::mkdir(state.c_str(), 0700);
  if (::mount("tmpfs", state.c_str(), "tmpfs", 0, "size=16m,mode=0700") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{state};
  WriteText(dir_.Sub("pipelines/fill.yaml"),
            "version: 1\nname: fill\nstages:\n"
            "  - {name: flood, uses: exec, run: \"head -c 8000000 /dev/zero\"}\n");
  WriteText(dir_.Sub("pipelines/small.yaml"),
            "version: 1\nname: small\nstages:\n"
            "  - {name: hello, uses: exec, run: \"echo fine\"}\n");
  Daemon d(state, dir_.Sub("pipelines"));
  ASSERT_TRUE(d.Start()) << ReadText(d.log_path());

  // All but 1 MiB of the file system goes to the ballast.
  struct statvfs fs;
  ASSERT_EQ(::statvfs(state.c_str(), &fs), 0);
  const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  ASSERT_GT(free_bytes, 2u << 20);
  const std::string ballast = state + "/ballast";
  {
    std::ofstream out(ballast, std::ios::binary);
    out << std::string(free_bytes - (1u << 20), 'b');
  }
  const std::string id = Trigger(d, "fill");
  // The run's end may wait for space: the registry shares the file system.
  RunOnceEnded(d, id, 5s);
  ASSERT_EQ(::unlink(ballast.c_str()), 0);
  json run = RunOnceEnded(d, id, 30s);
  ASSERT_EQ(run.value("status", ""), "failed") << run.dump() << ReadText(d.log_path());
  const std::string error = run["error"].get<std::string>();
  std::printf("full state folder: run %s: %s\n", id.c_str(), error.c_str());
  EXPECT_TRUE(error.find("No space left on device") != std::string::npos ||
              error.find("disk is full") != std::string::npos)
      << error;
  const std::string log = ReadText(d.log_path());
  EXPECT_NE(log.find("No space left on device"), std::string::npos) << log;

  auto next = d.Ctl({"--json", "trigger", "small", "--wait"});
  ASSERT_EQ(next.exit_code, 0) << next.out << next.err << ReadText(d.log_path());
  EXPECT_EQ(json::parse(next.out)["status"], "succeeded") << next.out;
}

// `resources.memory: 64M` holds for the commands a stage starts: python3
// cannot make a 1.5 GB buffer, and the run says which limit it hit.
TEST_F(LimitsE2E, AStageOverItsMemoryLimitFailsSayingSo) {
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3 here";
  WriteText(dir_.Sub("pipelines/hog.yaml"),
            "version: 1\nname: hog\nstages:\n"
            "  - name: hog\n    uses: exec\n    resources: {memory: 64M}\n"
            "    run: \"/usr/bin/python3 -c 'b = bytearray(1536 << 20); b[::4096] = b\\\"x\\\" * len(b[::4096])'\"\n");
  Daemon d(dir_.Sub("state"), dir_.Sub("pipelines"));
  ASSERT_TRUE(d.Start()) << ReadText(d.log_path());
  auto r = d.Ctl({"--json", "trigger", "hog", "--wait"});
  json run = json::parse(r.out.empty() ? "{}" : r.out);
  ASSERT_TRUE(run.contains("status")) << r.out << r.err;
  EXPECT_EQ(run["status"], "failed");
  EXPECT_NE(run["error"].get<std::string>().find("memory limit of 64 MiB"), std::string::npos)
      << run["error"];
}

// `stage_output_mb: 1`: 6 MB of output leave a log of about 1 MiB, and the
// attempt says what was cut.
TEST_F(LimitsE2E, StageOutputIsCappedAsConfigured) {
  WriteText(dir_.Sub("pipelines/loud.yaml"),
            "version: 1\nname: loud\nstages:\n"
            "  - {name: loud, uses: exec, run: \"sh -c 'echo FIRST; yes xxxxxxxxxxxxxxx | "
            "head -c 6000000; echo LAST'\"}\n");
  WriteText(dir_.Sub("mlopsd.yaml"), "stage_output_mb: 1\n");
  Daemon d(dir_.Sub("state"), dir_.Sub("pipelines"), {}, {"--config", dir_.Sub("mlopsd.yaml")});
  ASSERT_TRUE(d.Start()) << ReadText(d.log_path());
  auto r = d.Ctl({"--json", "trigger", "loud", "--wait"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json run = json::parse(r.out);
  EXPECT_EQ(run["status"], "succeeded");
  ASSERT_EQ(run["stages"].size(), 1u);
  EXPECT_NE(run["stages"][0]["error"].get<std::string>().find("stage output passed its cap of 1 MiB"),
            std::string::npos)
      << run["stages"][0];
  auto logs = d.Ctl({"logs", run["id"].dump(), "loud"});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_LT(logs.out.size(), (1u << 20) + 4096);
  EXPECT_LT(logs.out.find("FIRST\n"), 200u) << logs.out.substr(0, 200);
  EXPECT_NE(logs.out.find("LAST"), std::string::npos);
  EXPECT_NE(logs.out.find("[mlopsd] stage output passed its cap of 1 MiB"), std::string::npos);
}

}  // namespace
}  // namespace mlops::e2e
