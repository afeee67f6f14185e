// End to end: what a newcomer types into mlctl (and mlopsd) — versions,
// global flags after the subcommand, hints for mistakes, following a run's
// logs, Graphviz lineage, reloading pipelines — against the real binaries.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <future>

#include "daemon_harness.h"

namespace mlops::e2e {
namespace {

using nlohmann::json;

// Three stages one after another, each printing a word; the first two take
// a moment, so that a follower starts before the later ones exist.
constexpr const char* kChain = R"(version: 1
name: chain3
stages:
  - {name: first, uses: exec, shell: true, run: "echo word-one; sleep 0.4", outputs: []}
  - {name: second, uses: exec, shell: true, needs: [first], run: "echo word-two; sleep 0.4", outputs: []}
  - {name: third, uses: exec, shell: true, needs: [second], run: "echo word-three > out.txt; cat out.txt", outputs: [out.txt]}
)";

class CliE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir(dir_.Sub("pipelines").c_str(), 0755);
    WriteText(dir_.Sub("pipelines/chain3.yaml"), kChain);
    daemon_ = std::make_unique<Daemon>(dir_.Sub("state"), dir_.Sub("pipelines"));
    ASSERT_TRUE(daemon_->Start()) << ReadText(daemon_->log_path());
  }
  // Triggers chain3 without waiting; returns the run id.
  std::string Trigger() {
    auto r = daemon_->Ctl({"trigger", "chain3", "--force"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }
  TempDir dir_;
  std::unique_ptr<Daemon> daemon_;
};

TEST_F(CliE2E, VersionFlagsNameVersionCommitAndBuild) {
  for (const std::string& bin : {MlctlPath(), MlopsdPath()}) {
    auto r = RunCommand({bin, "--version"});
    ASSERT_EQ(r.exit_code, 0) << bin << ": " << r.err;
    EXPECT_NE(r.out.find(" 0."), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("(commit "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("libtorch"), std::string::npos) << r.out;
  }
}

TEST_F(CliE2E, GlobalFlagsAreAcceptedAfterTheSubcommand) {
  Trigger();
  auto r = daemon_->Ctl({"runs", "list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(json::parse(r.out, nullptr, false).contains("runs")) << r.out;
  // --server after the verb, with a bad default in the environment.
  auto s = RunCommand({MlctlPath(), "pipeline", "list", "--server", daemon_->url(), "--json"},
                      {"MLCTL_SERVER=http://127.0.0.1:1", "MLCTL_TOKEN=" + daemon_->admin_token()});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.out.find("chain3"), std::string::npos) << s.out;
}

TEST_F(CliE2E, MistypedCommandsAndPipelinesGetTheNearestName) {
  auto r = daemon_->Ctl({"runz", "list"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'runz'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean 'runs'?"), std::string::npos) << r.err;
  auto sub = daemon_->Ctl({"--json", "runs", "lsit"});
  EXPECT_EQ(sub.exit_code, 2);
  EXPECT_NE(sub.err.find("did you mean 'list'?"), std::string::npos) << sub.err;
  auto t = daemon_->Ctl({"trigger", "chian3"});
  EXPECT_EQ(t.exit_code, 5);
  EXPECT_NE(t.err.find("no pipeline named 'chian3'; did you mean 'chain3'?"), std::string::npos)
      << t.err;
  EXPECT_NE(t.err.find("(pipelines: chain3)"), std::string::npos) << t.err;
}

TEST_F(CliE2E, FollowingLogsLastsUntilTheRunEnds) {
  const std::string id = Trigger();
  // Both followers start before `third` exists.
  auto whole = std::async(std::launch::async, [&] { return daemon_->Ctl({"logs", id, "-f"}); });
  auto named = std::async(std::launch::async,
                          [&] { return daemon_->Ctl({"logs", id, "third", "--follow"}); });
  const CommandResult w = whole.get();
  ASSERT_EQ(w.exit_code, 0) << w.err;
  for (const char* text : {"==> first <==", "word-one", "==> second <==", "word-two",
                           "==> third <==", "word-three"}) {
    EXPECT_NE(w.out.find(text), std::string::npos) << text << " in:\n" << w.out;
  }
  EXPECT_LT(w.out.find("word-one"), w.out.find("word-three"));
  const CommandResult n = named.get();
  ASSERT_EQ(n.exit_code, 0) << n.err;
  EXPECT_NE(n.out.find("word-three"), std::string::npos) << n.out;
  EXPECT_EQ(n.out.find("word-one"), std::string::npos) << n.out;
  // A stage the run never has: an error once the run has ended.
  auto none = daemon_->Ctl({"logs", id, "fourth", "-f"});
  EXPECT_EQ(none.exit_code, 5);
  EXPECT_NE(none.err.find("no attempt of stage 'fourth'"), std::string::npos) << none.err;
}

TEST_F(CliE2E, WaitShowsElapsedTimePerStageAndForTheRun) {
  auto r = daemon_->Ctl({"trigger", "chain3", "--wait"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("second (attempt 1): succeeded in "), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("succeeded in "), std::string::npos) << r.out;
}

TEST_F(CliE2E, LineageAsGraphvizAndPipelineReload) {
  auto run = daemon_->Ctl({"--json", "trigger", "chain3", "--wait"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::string sha;
  const json ran = json::parse(run.out);
  for (const auto& s : ran["stages"]) {
    for (const auto& e : s["artifacts"]) {
      if (e["kind"] == "produced") sha = e["artifact"];
    }
  }
  ASSERT_EQ(sha.size(), 64u) << run.out;
  auto dot = daemon_->Ctl({"lineage", sha, "--format", "dot"});
  ASSERT_EQ(dot.exit_code, 0) << dot.err;
  EXPECT_EQ(dot.out.rfind("digraph lineage {", 0), 0u) << dot.out;
  EXPECT_NE(dot.out.find("\"attempt:"), std::string::npos) << dot.out;
  EXPECT_NE(dot.out.find(" -> \"artifact:" + sha + "\""), std::string::npos) << dot.out;

  WriteText(dir_.Sub("pipelines/later.yaml"),
            "version: 1\nname: later\nstages:\n  - {name: only, uses: exec, run: \"true\", "
            "shell: false, outputs: []}\n");
  auto reload = daemon_->Ctl({"pipeline", "reload"});
  ASSERT_EQ(reload.exit_code, 0) << reload.err;
  auto list = daemon_->Ctl({"pipeline", "list"});
  EXPECT_NE(list.out.find("later"), std::string::npos) << list.out;
  auto validate = daemon_->Ctl({"pipeline", "validate", dir_.Sub("pipelines/later.yaml")});
  EXPECT_EQ(validate.exit_code, 0) << validate.err;
  EXPECT_NE(validate.out.find("(pipeline later, 1 stage)"), std::string::npos) << validate.out;
}

TEST_F(CliE2E, TheDaemonMakesItsOwnSigningKeyOnceAndAConfiguredKeyWins) {
  struct stat st{};
  ASSERT_EQ(::stat(dir_.Sub("state/signing.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir_.Sub("state/signing.pub").c_str(), &st), 0);
  auto keys = daemon_->Ctl({"--json", "keys", "list"});
  ASSERT_EQ(keys.exit_code, 0) << keys.err;
  std::string id;
  const json listed = json::parse(keys.out);
  for (const auto& k : listed["keys"]) {
    if (k["name"] == "signing_key") id = k["key_id"];
  }
  ASSERT_EQ(id.size(), 64u) << keys.out;
  EXPECT_NE(ReadText(daemon_->log_path()).find("key id " + id), std::string::npos);
  // A restart signs with the same key and makes none.
  ASSERT_EQ(daemon_->Stop(), 0);
  ASSERT_TRUE(daemon_->Start()) << ReadText(daemon_->log_path());
  const std::string log = ReadText(daemon_->log_path());
  EXPECT_EQ(log.find("made a signing key"), log.rfind("made a signing key")) << log;
  // A configured key: the daemon makes none of its own.
  auto gen = RunCommand({MlctlPath(), "keys", "generate", "--out-dir", dir_.path(), "--name", "sk"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  WriteText(dir_.Sub("mlopsd.yaml"), "signing_key: " + dir_.Sub("sk.key") + "\n");
  Daemon configured(dir_.Sub("state2"), dir_.Sub("pipelines"), {},
                    {"--config", dir_.Sub("mlopsd.yaml")});
  ASSERT_TRUE(configured.Start()) << ReadText(configured.log_path());
  EXPECT_NE(::stat(dir_.Sub("state2/signing.key").c_str(), &st), 0);
  EXPECT_EQ(ReadText(configured.log_path()).find("made a signing key"), std::string::npos);
}

// A pipeline that arrives after the last data scan (here: reloaded, with
// scans an hour apart; in the demo: with the commit that starts its run)
// still has its run linked to the data it reads, so lineage and the signed
// provenance name that data's digest.
TEST(CliDataE2E, ARunIsLinkedToDataNoScanHasSeenYet) {
  TempDir dir;
  ::mkdir(dir.Sub("pipelines").c_str(), 0755);
  WriteText(dir.Sub("data.csv"), "a,b\n1,2\n");
  WriteText(dir.Sub("mlopsd.yaml"), "data_scan_interval: 1h\n");
  Daemon d(dir.Sub("state"), dir.Sub("pipelines"), {}, {"--config", dir.Sub("mlopsd.yaml")});
  ASSERT_TRUE(d.Start()) << ReadText(d.log_path());
  WriteText(dir.Sub("pipelines/reads.yaml"),
            "version: 1\nname: reads\non: {data: [" + dir.Sub("data.csv") + "]}\nstages:\n"
            "  - {name: copy, uses: exec, shell: true, run: \"cp " + dir.Sub("data.csv") +
                " out.csv\", inputs: [" + dir.Sub("data.csv") + "], outputs: [out.csv]}\n");
  ASSERT_EQ(d.Ctl({"pipeline", "reload"}).exit_code, 0);
  auto run = d.Ctl({"--json", "trigger", "reads", "--wait"});
  ASSERT_EQ(run.exit_code, 0) << run.err << ReadText(d.log_path());
  auto data = d.Ctl({"--json", "data", "list"});
  ASSERT_EQ(data.exit_code, 0) << data.err;
  const json versions = json::parse(data.out)["data_versions"];
  ASSERT_EQ(versions.size(), 1u) << data.out;
  auto show = d.Ctl({"--json", "data", "show", std::to_string(versions[0]["id"].get<int64_t>())});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  bool linked = false;
  const json shown = json::parse(show.out), ran = json::parse(run.out);
  for (const auto& r : shown["runs"]) linked |= r["id"] == ran["id"];
  EXPECT_TRUE(linked) << show.out;
}

}  // namespace
}  // namespace mlops::e2e
