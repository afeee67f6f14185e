// End to end: the real mlopsd with retention limits and no collection after
// runs, the real mlctl: `gc --dry-run` lists what goes and removes nothing,
// `gc` removes it, `gc --artifacts` removes only unreferenced content. The
// files of a run still active and what a registered model version needs
// (its artifact, signature, provenance, stable path) stay, and the active
// run then finishes; a removed log answers 410; only an admin may collect.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <utime.h>

#include <filesystem>
#include <thread>

#include "daemon_harness.h"
#include "mlops/common/files.h"

namespace mlops::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class RetentionE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir(dir_.Sub("pipelines").c_str(), 0755);
    WriteToyModelPipeline(dir_);
    WriteText(dir_.Sub("pipelines/quick.yaml"),
              "version: 1\nname: quick\nstages:\n"
              "  - {name: a, uses: exec, shell: true, run: \"echo hi > out.txt\", outputs: [out.txt]}\n");
    WriteText(dir_.Sub("pipelines/slow.yaml"),
              "version: 1\nname: slow\nstages:\n"
              "  - {name: a, uses: exec, shell: true, run: \"echo started; while [ ! -e " +
                  dir_.Sub("release") + " ]; do sleep 0.05; done; echo done > out.txt\", "
                  "outputs: [out.txt]}\n");
  }
  bool Has(const std::string& rel) const { return PathExists(dir_.Sub("state/" + rel)); }

  TempDir dir_;
};

TEST_F(RetentionE2E, DryRunListsGcRemovesAndWhatIsNeededStays) {
  auto gen = RunCommand({MlctlPath(), "keys", "generate", "--out-dir", dir_.path(), "--name", "sk"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  WriteText(dir_.Sub("mlopsd.yaml"), "signing_key: " + dir_.Sub("sk.key") + R"(
retention:
  interval: 1h
  after_runs: false
  logs: {keep: 0}
  scratch: {keep: 1}
  provenance: {keep: 0}
)");
  Daemon d(dir_.Sub("state"), dir_.Sub("pipelines"), {}, {"--config", dir_.Sub("mlopsd.yaml")});
  ASSERT_TRUE(d.Start()) << ReadText(d.log_path());

  // Run 1 registers model version 1; runs 2 and 3 are plain; run 4 stays
  // active until released.
  auto r = d.Ctl({"trigger", "toy-model", "--wait"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << ReadText(d.log_path());
  for (int i = 0; i < 2; ++i) {
    r = d.Ctl({"trigger", "quick", "--force", "--wait"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  r = d.Ctl({"models", "promote", "toy-model", "1", "--to", "production"});  // a stable path
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_TRUE(Has("models/toy-model/production"));
  r = d.Ctl({"--json", "trigger", "slow"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const int64_t slow = json::parse(r.out)["id"];
  ASSERT_EQ(slow, 4);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!Has("logs/run-4/a.1.log") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(Has("logs/run-4/a.1.log")) << ReadText(d.log_path());
  std::string provenance;
  for (const auto& e : std::filesystem::directory_iterator(dir_.Sub("state/provenance"))) {
    provenance = e.path().filename().string();
  }
  ASSERT_EQ(provenance.rfind("run-1-attempt-", 0), 0u) << provenance;

  // Everything stored looks old, so that only references keep it; then
  // content no record references, stored long ago.
  auto aged = RunCommand({"/usr/bin/find", dir_.Sub("state/artifacts/sha256"), "-type", "f", "-exec",
                          "/usr/bin/touch", "-m", "-d", "2020-01-01", "{}", "+"});
  ASSERT_EQ(aged.exit_code, 0) << aged.err;
  const std::string orphan = "ab" + std::string(62, '7');
  ASSERT_TRUE(MakeDirs(dir_.Sub("state/artifacts/sha256/ab"), 0700).ok());
  WriteText(dir_.Sub("state/artifacts/sha256/ab/" + orphan), "nobody's\n");
  struct utimbuf old{1'600'000'000, 1'600'000'000};
  ASSERT_EQ(::utime(dir_.Sub("state/artifacts/sha256/ab/" + orphan).c_str(), &old), 0);

  auto dry = d.Ctl({"--json", "gc", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  json listed = json::parse(dry.out);
  std::set<std::string> paths;
  for (const auto& x : listed["removed"]) paths.insert(x["path"].get<std::string>());
  EXPECT_EQ(paths, (std::set<std::string>{"logs/run-1", "logs/run-2", "logs/run-3", "scratch/run-1",
                                          "scratch/run-2", "scratch/run-3"}))
      << dry.out;
  EXPECT_TRUE(listed["dry_run"].get<bool>());
  EXPECT_GE(listed["kept_in_use"].get<int>(), 2);  // run 4's log, run 1's provenance
  for (const std::string& p : paths) EXPECT_TRUE(Has(p)) << p;
  auto table = d.Ctl({"gc", "--dry-run"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("logs/run-2"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("would remove 6 entries"), std::string::npos) << table.out;

  // Admin only.
  auto tok = d.Ctl({"--json", "tokens", "create", "ops", "--role", "operator"});
  ASSERT_EQ(tok.exit_code, 0) << tok.err;
  EXPECT_EQ(d.CtlWithToken(json::parse(tok.out)["token"], {"gc", "--dry-run"}).exit_code, 7);

  auto gc = d.Ctl({"gc"});
  ASSERT_EQ(gc.exit_code, 0) << gc.out << gc.err;
  EXPECT_NE(gc.out.find("removed 6 entries"), std::string::npos) << gc.out;
  for (const std::string& p : paths) EXPECT_FALSE(Has(p)) << p;
  EXPECT_TRUE(Has("logs/run-4/a.1.log"));
  EXPECT_TRUE(Has("scratch/run-4"));
  EXPECT_TRUE(Has("workspaces/run-4"));
  EXPECT_TRUE(Has("provenance/" + provenance));
  EXPECT_TRUE(Has("models/toy-model/production"));
  EXPECT_TRUE(Has("registry.db"));
  auto gone = d.Ctl({"logs", "2"});
  EXPECT_EQ(gone.exit_code, 5) << gone.out << gone.err;
  EXPECT_NE(gone.err.find("removed by retention"), std::string::npos) << gone.err;
  auto kept = d.Ctl({"--json", "runs", "show", "2"});  // the record stays
  EXPECT_EQ(kept.exit_code, 0) << kept.err;

  // Artifacts: only the orphan goes; the model version still verifies.
  auto adry = d.Ctl({"--json", "gc", "--artifacts", "--dry-run"});
  ASSERT_EQ(adry.exit_code, 0) << adry.err;
  json al = json::parse(adry.out);
  ASSERT_EQ(al["removed"].size(), 1u) << adry.out;
  EXPECT_EQ(al["removed"][0]["path"], "artifacts/sha256/ab/" + orphan);
  EXPECT_TRUE(Has("artifacts/sha256/ab/" + orphan));
  auto agc = d.Ctl({"gc", "--artifacts"});
  ASSERT_EQ(agc.exit_code, 0) << agc.out << agc.err;
  EXPECT_FALSE(Has("artifacts/sha256/ab/" + orphan));
  auto verify = d.Ctl({"models", "verify", "toy-model", "1"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;

  // The active run was not disturbed: it finishes and its output is stored.
  WriteText(dir_.Sub("release"), "");
  auto wait = d.Ctl({"runs", "wait", "4"});
  EXPECT_EQ(wait.exit_code, 0) << wait.out << wait.err << ReadText(d.log_path());
  auto show = d.Ctl({"--json", "runs", "show", "4"});
  ASSERT_EQ(show.exit_code, 0);
  EXPECT_EQ(json::parse(show.out)["status"], "succeeded") << show.out;
}

}  // namespace
}  // namespace mlops::e2e
