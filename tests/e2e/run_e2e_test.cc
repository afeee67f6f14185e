// End to end: the real mlopsd on 127.0.0.1, driven by the real mlctl.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

#include "daemon_harness.h"

namespace mlops::e2e {
namespace {

using nlohmann::json;

// A 20-stage diamond: `top` writes a seed; 18 middle stages each derive a
// line from it; `bottom` concatenates them in order.
std::string DiamondPipeline() {
  std::string y = "version: 1\nname: diamond20\nstages:\n";
  y += "  - {name: top, uses: exec, run: \"echo seed\", shell: false, outputs: []}\n";
  y += "  - name: seed\n    uses: exec\n    needs: [top]\n    shell: true\n"
       "    run: \"printf 'seed-42' > seed.txt\"\n    outputs: [seed.txt]\n";
  std::string all;
  for (int i = 1; i <= 17; ++i) {
    std::string n = "mid" + std::to_string(i);
    y += "  - name: " + n + "\n    uses: exec\n    needs: [seed]\n    shell: true\n"
         "    run: \"echo $(cat seed.txt)-" + std::to_string(i) + " > " + n + ".txt\"\n"
         "    inputs: [seed.txt]\n    outputs: [" + n + ".txt]\n";
    all += (all.empty() ? "" : ", ") + n;
  }
  std::string files;
  for (int i = 1; i <= 17; ++i) files += " mid" + std::to_string(i) + ".txt";
  y += "  - name: bottom\n    uses: exec\n    needs: [" + all + "]\n    shell: true\n"
       "    run: \"cat" + files + " > all.txt\"\n    outputs: [all.txt]\n";
  return y;
}

class RunE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir(dir_.Sub("pipelines").c_str(), 0755);
  }
  void AddPipeline(const std::string& file, const std::string& yaml) {
    WriteText(dir_.Sub("pipelines/" + file), yaml);
  }
  std::unique_ptr<Daemon> StartDaemon() {
    auto d = std::make_unique<Daemon>(dir_.Sub("state"), dir_.Sub("pipelines"));
    EXPECT_TRUE(d->Start()) << ReadText(d->log_path());
    return d;
  }
  TempDir dir_;
};

TEST_F(RunE2E, TwentyStageDiamondProducesCheckedOutputs) {
  AddPipeline("diamond.yaml", DiamondPipeline());
  auto d = StartDaemon();
  auto r = d->Ctl({"trigger", "diamond20", "--wait"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << ReadText(d->log_path());
  EXPECT_NE(r.out.find("succeeded"), std::string::npos);
  auto list = d->Ctl({"--json", "runs", "list"});
  ASSERT_EQ(list.exit_code, 0);
  const int64_t run_id = json::parse(list.out)["runs"][0]["id"];
  auto show = d->Ctl({"--json", "runs", "show", std::to_string(run_id)});
  ASSERT_EQ(show.exit_code, 0);
  json run = json::parse(show.out);
  ASSERT_EQ(run["stages"].size(), 20u);
  std::string all_sha;
  for (const auto& s : run["stages"]) {
    EXPECT_EQ(s["status"], "succeeded") << s.dump();
    if (s["stage"] == "bottom") {
      for (const auto& e : s["artifacts"]) {
        if (e["kind"] == "produced") all_sha = e["artifact"];
      }
    }
  }
  ASSERT_EQ(all_sha.size(), 64u);
  auto content = d->Ctl({"artifacts", "get", all_sha});
  ASSERT_EQ(content.exit_code, 0) << content.err;
  std::string expected;
  for (int i = 1; i <= 17; ++i) expected += "seed-42-" + std::to_string(i) + "\n";
  EXPECT_EQ(content.out, expected);

  // Lineage from the final artifact reaches the seed stage and the run.
  auto lineage = d->Ctl({"--json", "lineage", all_sha});
  ASSERT_EQ(lineage.exit_code, 0) << lineage.err;
  json g = json::parse(lineage.out);
  std::set<std::string> stages;
  for (const auto& a : g["attempts"]) stages.insert(a["stage"].get<std::string>());
  EXPECT_TRUE(stages.count("seed"));
  EXPECT_TRUE(stages.count("mid17"));
  EXPECT_EQ(g["runs"][0]["id"], run_id);

  // Stage logs are served.
  auto logs = d->Ctl({"logs", std::to_string(run_id), "top"});
  ASSERT_EQ(logs.exit_code, 0);
  EXPECT_NE(logs.out.find("seed"), std::string::npos) << logs.out;

  // A second run of the unchanged pipeline is all cache hits.
  auto again = d->Ctl({"--json", "trigger", "diamond20", "--wait"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  json run2 = json::parse(again.out);
  int hits = 0;
  for (const auto& s : run2["stages"]) hits += s["cache_hit"].get<bool>() ? 1 : 0;
  EXPECT_EQ(hits, 20);
  // --force runs every stage again.
  auto forced = d->Ctl({"--json", "trigger", "diamond20", "--wait", "--force"});
  ASSERT_EQ(forced.exit_code, 0);
  const json forced_run = json::parse(forced.out);
  for (const auto& s : forced_run["stages"]) EXPECT_FALSE(s["cache_hit"].get<bool>());
}

TEST_F(RunE2E, WaitExitCodesSayHowTheRunEnded) {
  AddPipeline("ok.yaml", "version: 1\nname: ok\nstages:\n  - {name: a, uses: exec, run: \"true\"}\n");
  AddPipeline("bad.yaml",
              "version: 1\nname: bad\nstages:\n  - {name: a, uses: exec, run: \"sh -c 'exit 7'\", "
              "retries: 1, retry_backoff: 10ms}\n");
  AddPipeline("slow.yaml",
              "version: 1\nname: slow\nstages:\n  - {name: a, uses: exec, run: \"sleep 30\"}\n");
  auto d = StartDaemon();
  EXPECT_EQ(d->Ctl({"trigger", "ok", "--wait"}).exit_code, 0);
  auto bad = d->Ctl({"trigger", "bad", "--wait"});
  EXPECT_EQ(bad.exit_code, 1) << bad.out << bad.err;
  EXPECT_NE(bad.out.find("exited with code 7"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("2 attempts"), std::string::npos) << bad.out;

  auto slow = d->Ctl({"trigger", "slow"});
  ASSERT_EQ(slow.exit_code, 0);
  const std::string id = slow.out.substr(0, slow.out.find('\n'));
  // Wait until the stage runs, then cancel.
  for (int i = 0; i < 200; ++i) {
    auto s = d->Ctl({"--json", "runs", "show", id});
    if (json::parse(s.out)["status"] == "running") break;
    usleep(20000);
  }
  ASSERT_EQ(d->Ctl({"runs", "cancel", id}).exit_code, 0);
  auto waited = d->Ctl({"runs", "wait", id});
  EXPECT_EQ(waited.exit_code, 3) << waited.out << waited.err;
  EXPECT_EQ(d->Ctl({"runs", "cancel", id}).exit_code, 5) << "cancel of an ended run must fail";

  EXPECT_EQ(d->Ctl({"trigger", "nosuch"}).exit_code, 5);
  d->Stop();
  auto unreachable = RunCommand({MlctlPath(), "--server", "http://127.0.0.1:1", "runs", "list"});
  EXPECT_EQ(unreachable.exit_code, 4);
  EXPECT_NE(unreachable.err.find("cannot reach mlopsd"), std::string::npos);
}

TEST_F(RunE2E, InvalidPipelineFileIsReportedNotRegistered) {
  AddPipeline("good.yaml", "version: 1\nname: good\nstages:\n  - {name: a, uses: exec, run: \"true\"}\n");
  AddPipeline("broken.yaml", "version: 1\nname: broken\nstages:\n  - {name: a, uses: exec, run: \"true\", needs: [zz]}\n");
  auto d = StartDaemon();
  auto list = d->Ctl({"--json", "pipeline", "list"});
  ASSERT_EQ(list.exit_code, 0);
  std::set<std::string> names;
  const json listed = json::parse(list.out);
  for (const auto& p : listed["pipelines"]) names.insert(p["name"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"good"}));
  EXPECT_NE(ReadText(d->log_path()).find("broken.yaml:4:"), std::string::npos);
  auto v = RunCommand({MlctlPath(), "pipeline", "validate", dir_.Sub("pipelines/broken.yaml")});
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_NE(v.err.find("broken.yaml:4:"), std::string::npos) << v.err;
  EXPECT_NE(v.err.find("zz"), std::string::npos) << v.err;
}

}  // namespace
}  // namespace mlops::e2e
