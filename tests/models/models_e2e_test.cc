// End to end: the real mlopsd (signing_key from `mlctl keys generate`, a
// deploy hook) runs a fast exec pipeline with the real signer plugin; the
// real mlctl drives the model registry: v1 staged by policy -> production by
// an admin -> v2 -> an operator may not put it in production -> an admin
// does -> a downgrade is refused -> an explicit rollback to v1 -> the audit
// log shows every step, the stable path holds v1's file, the hook ran.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "../e2e/daemon_harness.h"
#include "mlops/common/files.h"

namespace mlops::e2e {
namespace {

using nlohmann::json;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

class ModelsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir(dir_.Sub("pipelines").c_str(), 0755);
    WriteToyModelPipeline(dir_);
    WriteText(dir_.Sub("hook.sh"),
              "echo \"$MLOPS_MODEL $MLOPS_MODEL_VERSION $(cat \"$MLOPS_MODEL_PATH\")\" >> " +
                  dir_.Sub("deployed.txt") + "\n");
  }

  json Show(const Daemon& d) {
    auto r = d.Ctl({"--json", "models", "show", "toy-model"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  std::string StageOf(const json& model, int64_t version) {
    for (const auto& v : model["versions"]) {
      if (v["version"] == version) return v["stage"];
    }
    return "<missing>";
  }

  TempDir dir_;
};

TEST_F(ModelsE2E, SignedStagedPromotedRolledBackAndAudited) {
  auto gen = RunCommand({MlctlPath(), "keys", "generate", "--out-dir", dir_.path(), "--name", "sk"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  WriteText(dir_.Sub("mlopsd.yaml"), "signing_key: " + dir_.Sub("sk.key") +
                                         "\ndeploy_hook: [/bin/sh, " + dir_.Sub("hook.sh") + "]\n");
  Daemon d(dir_.Sub("state"), dir_.Sub("pipelines"), {}, {"--config", dir_.Sub("mlopsd.yaml")});
  ASSERT_TRUE(d.Start()) << ReadText(d.log_path());

  // Run 1: registered, signed, staged by the policy (gates passed).
  auto r = d.Ctl({"trigger", "toy-model", "--wait"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << ReadText(d.log_path());
  json m = Show(d);
  ASSERT_TRUE(m.is_object());
  EXPECT_EQ(StageOf(m, 1), "staging") << m.dump(2) << ReadText(d.log_path());
  r = d.Ctl({"models", "verify", "toy-model", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("verified"), std::string::npos);

  // Production by the admin, through the GitLab CI template's own promote
  // command line (ci/mlopsd.gitlab-ci.yml, job mlops:promote-production):
  // stable path + deploy hook.
  const std::string tmpl = ReadText(std::string(MLOPS_SOURCE_DIR) + "/ci/mlopsd.gitlab-ci.yml");
  const size_t at = tmpl.find("    - mlctl models promote ");
  ASSERT_NE(at, std::string::npos) << "the template has no promote command";
  const std::string promote_line = tmpl.substr(at + 6, tmpl.find('\n', at) - at - 6);
  r = RunCommand({"/bin/bash", "-c", "PATH=" + DirName(MlctlPath()) + ":$PATH; " + promote_line},
                 {"MLCTL_SERVER=" + d.url(), "MLCTL_TOKEN=" + d.admin_token(),
                  "MODEL_NAME=toy-model", "MODEL_VERSION=1", "CI_PIPELINE_ID=4242",
                  "GITLAB_USER_LOGIN=alice"});
  ASSERT_EQ(r.exit_code, 0) << promote_line << "\n" << r.out << r.err;
  EXPECT_EQ(ReadText(dir_.Sub("deployed.txt")), "toy-model 1 weights-v1\n");

  // Run 2 with new data.
  WriteText(dir_.Sub("seed.txt"), "weights-v2\n");
  r = d.Ctl({"trigger", "toy-model", "--wait"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(StageOf(Show(d), 2), "staging");

  // An operator may stage but not put a version in production.
  auto tok = d.Ctl({"tokens", "create", "ops", "--role", "operator"});
  ASSERT_EQ(tok.exit_code, 0) << tok.err;
  r = d.CtlWithToken(Trim(tok.out), {"models", "promote", "toy-model", "2", "--to", "production"});
  EXPECT_EQ(r.exit_code, 7) << r.out << r.err;
  EXPECT_NE(r.err.find("admin"), std::string::npos) << r.err;

  r = d.Ctl({"models", "promote", "toy-model", "2", "--to", "production", "--reason", "better"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  m = Show(d);
  EXPECT_EQ(m["production_version"], 2);
  EXPECT_EQ(StageOf(m, 1), "archived");

  // A downgrade through promote is refused; rollback is the explicit way.
  r = d.Ctl({"models", "promote", "toy-model", "1", "--to", "production"});
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_NE(r.err.find("mlctl models rollback"), std::string::npos) << r.err;
  r = d.Ctl({"models", "rollback", "toy-model", "1", "--reason", "v2 regressed"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  m = Show(d);
  EXPECT_EQ(m["production_version"], 1);
  EXPECT_EQ(StageOf(m, 2), "archived");

  // The stable path holds v1's file; the hook ran for 1, 2 and 1 again.
  EXPECT_EQ(ReadText(dir_.Sub("state/models/toy-model/production/model.bin")), "weights-v1\n");
  EXPECT_EQ(ReadText(dir_.Sub("deployed.txt")),
            "toy-model 1 weights-v1\ntoy-model 2 weights-v2\ntoy-model 1 weights-v1\n");
  // It carries its signature: whoever deploys it verifies it offline.
  r = RunCommand({MlctlPath(), "verify", "--dir", dir_.Sub("state/models/toy-model/production"),
                  "--trusted-key", dir_.Sub("sk.pub")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // A byte changed in the deployed copy is found, naming the file.
  const std::string copy = dir_.Sub("deployed-copy");
  ASSERT_EQ(RunCommand({"/bin/cp", "-rL", dir_.Sub("state/models/toy-model/production"), copy}).exit_code, 0);
  ::chmod((copy + "/model.bin").c_str(), 0644);
  WriteText(copy + "/model.bin", "weights-v9\n");
  r = RunCommand({MlctlPath(), "verify", "--dir", copy, "--trusted-key", dir_.Sub("sk.pub")});
  EXPECT_EQ(r.exit_code, 8) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("model.bin"), std::string::npos) << r.out << r.err;

  // Every step is in the audit log, with who did it and why.
  r = d.Ctl({"--json", "audit", "--model", "toy-model", "--limit", "100"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json audit = json::parse(r.out, nullptr, false);
  std::multiset<std::string> actions;
  bool rollback_reason = false, ci_reason = false;
  for (const auto& e : audit["entries"]) {
    actions.insert(e["action"].get<std::string>());
    if (e["action"] == "promote" && e["version"] == 1) {
      ci_reason = e["reason"] == "GitLab CI pipeline 4242 by alice";
    }
    if (e["action"] == "rollback") {
      rollback_reason = e["reason"] == "v2 regressed" && e["to"] == "production" &&
                        e["from"] == "archived" && !e["actor"].get<std::string>().empty();
    }
  }
  EXPECT_EQ(actions.count("version.registered"), 2u);
  EXPECT_EQ(actions.count("auto-promote"), 2u);
  EXPECT_EQ(actions.count("promote"), 2u);
  EXPECT_EQ(actions.count("demote"), 2u);
  EXPECT_EQ(actions.count("rollback"), 1u);
  EXPECT_TRUE(ci_reason) << audit.dump(2);
  EXPECT_EQ(actions.count("deploy"), 3u);
  EXPECT_GE(actions.count("promote.refused"), 2u);  // the operator's and the downgrade
  EXPECT_TRUE(rollback_reason) << audit.dump(2);

  // The trust store holds the daemon's key; the dotenv report names the version.
  r = d.Ctl({"--json", "keys", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("signing_key"), std::string::npos);
  r = d.Ctl({"report", "dotenv", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("MODEL_NAME=toy-model\nMODEL_VERSION=2\n"), std::string::npos) << r.out;

  // A restart keeps everything and trusts the configured key without a
  // second "key.trusted" entry.
  ASSERT_EQ(d.Stop(), 0);
  ASSERT_TRUE(d.Start()) << ReadText(d.log_path());
  EXPECT_EQ(Show(d)["production_version"], 1);
  r = d.Ctl({"--json", "audit", "--limit", "1000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int trusted = 0;
  const json after_restart = json::parse(r.out);
  for (const auto& e : after_restart["entries"]) trusted += e["action"] == "key.trusted";
  EXPECT_EQ(trusted, 1) << r.out;
  EXPECT_EQ(ReadText(dir_.Sub("state/models/toy-model/production/model.bin")), "weights-v1\n");

  // The trust store from mlctl: trust another key, revoke the signing key;
  // the versions it signed no longer verify.
  gen = RunCommand({MlctlPath(), "keys", "generate", "--out-dir", dir_.path(), "--name", "ci"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  r = d.Ctl({"keys", "trust", dir_.Sub("ci.pub")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("'ci' is trusted"), std::string::npos) << r.out;
  r = d.Ctl({"--json", "keys", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string signing_id;
  const json keys = json::parse(r.out);
  for (const auto& k : keys["keys"]) {
    if (k["name"] == "signing_key") signing_id = k["key_id"];
  }
  ASSERT_EQ(signing_id.size(), 64u) << r.out;
  r = d.Ctl({"keys", "revoke", signing_id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = d.Ctl({"models", "verify", "toy-model", "1"});
  EXPECT_EQ(r.exit_code, 8) << r.out << r.err;
  EXPECT_NE(r.out.find("revoked"), std::string::npos) << r.out;
}

TEST_F(ModelsE2E, RouteInputsAreValidatedAndNothingEscapes) {
  Daemon d(dir_.Sub("state"), dir_.Sub("pipelines"));
  ASSERT_TRUE(d.Start()) << ReadText(d.log_path());
  for (const char* bad : {"..", "../etc", "..%2f", "%252e%252e%252f", "a b", "x'--"}) {
    auto r = d.Ctl({"models", "show", bad});
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_EQ(r.err.find("HTTP 500"), std::string::npos) << r.err;
  }
  auto r = d.Ctl({"keys", "revoke", "../../etc/passwd"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  r = d.Ctl({"keys", "revoke", std::string(64, 'G')});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("64 lower-case hex"), std::string::npos) << r.err;
  r = d.Ctl({"audit", "--model", "x' OR '1'='1"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  r = d.Ctl({"models", "alias", "toy-model", "Bad/Alias", "1"});
  EXPECT_NE(r.exit_code, 0);
}

}  // namespace
}  // namespace mlops::e2e
