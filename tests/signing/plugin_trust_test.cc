// Plugins from trusted places only: the real stage host
// checks detached signatures before dlopen, and the real mlopsd refuses to
// start on an untrusted plugin place, refuses unsigned plugins, runs signed
// ones and fails an attempt whose plugin no longer matches its signature.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "daemon_harness.h"
#include "mlops/common/files.h"
#include "mlops/signing/signing.h"

namespace mlops::e2e {
namespace {

using nlohmann::json;

class PluginTrustTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = dir_.Sub("keys");
    ::mkdir(keys_.c_str(), 0700);
    ASSERT_TRUE(signing::GenerateKeyPair(keys_ + "/trusted.key", keys_ + "/trusted.pub", &trusted_)
                    .ok());
    ASSERT_TRUE(
        signing::GenerateKeyPair(keys_ + "/stranger.key", keys_ + "/stranger.pub", nullptr).ok());
    ::mkdir(dir_.Sub("pipelines").c_str(), 0755);
    plugins_ = dir_.Sub("plugins");
    ASSERT_EQ(::mkdir(plugins_.c_str(), 0755), 0);
    ::chmod(plugins_.c_str(), 0755);
  }

  // Copies a built plugin into the test plugin folder (mode 0755).
  std::string AddPlugin(const std::string& from, const std::string& name) {
    std::string to = plugins_ + "/" + name;
    EXPECT_TRUE(CopyFile(from, to).ok());
    ::chmod(to.c_str(), 0755);
    return to;
  }
  // mlctl keys sign-file, as an operator would.
  void Sign(const std::string& file, const std::string& key = "trusted") {
    CommandResult r = RunCommand({MlctlPath(), "keys", "sign-file", file, "--key",
                                  keys_ + "/" + key + ".key"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  CommandResult Describe(const std::string& plugin, const std::string& keys,
                         const std::string& revoked_ids = "") {
    return RunCommand({MLOPS_STAGE_HOST, "--describe", plugin},
                      {std::string(signing::kPluginKeysEnv) + "=" + keys,
                       std::string(signing::kPluginRevokedKeysEnv) + "=" + revoked_ids});
  }

  TempDir dir_;
  std::string keys_, plugins_;
  signing::PublicKey trusted_;
};

TEST_F(PluginTrustTest, StageHostChecksTheSignatureBeforeLoading) {
  const std::string keys = keys_ + "/trusted.pub";
  std::string exec = AddPlugin(PluginDir() + "/exec.so", "exec.so");
  // No keys configured: loads as before, signature or not.
  CommandResult r = Describe(exec, "");
  EXPECT_EQ(r.exit_code, 0) << r.err;

  r = Describe(exec, keys);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(exec + ".sig cannot be read"), std::string::npos) << r.err;

  Sign(exec);
  r = Describe(exec, keys);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"exec\""), std::string::npos) << r.out;

  // Its key revoked (in the registry; the daemon passes the ids): refused.
  r = Describe(exec, keys, std::string(64, 'a') + ":" + trusted_.key_id);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("signed by key " + trusted_.key_id + ", which has been revoked"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(Describe(exec, keys, std::string(64, 'a')).exit_code, 0) << "another key revoked";

  // Tampered: one byte appended after signing (still a loadable ELF).
  std::string bytes = ReadText(exec);
  WriteText(exec, bytes + "X");
  r = Describe(exec, keys);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("does not match its signature"), std::string::npos) << r.err;
  WriteText(exec, bytes);
  EXPECT_EQ(Describe(exec, keys).exit_code, 0);

  // Signed by a key that is not trusted.
  ASSERT_EQ(::unlink((exec + ".sig").c_str()), 0);
  Sign(exec, "stranger");
  r = Describe(exec, keys);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("not a trusted key"), std::string::npos) << r.err;

  // Malformed signature file.
  WriteText(exec + ".sig", "{\"payloadType\": 1}");
  r = Describe(exec, keys);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("malformed"), std::string::npos) << r.err;

  // A valid signature of another plugin, copied next to this one.
  std::string reporter = AddPlugin(FixturePluginDir() + "/reporter.so", "reporter.so");
  Sign(reporter);
  ASSERT_TRUE(CopyFile(reporter + ".sig", exec + ".sig").ok());
  r = Describe(exec, keys);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("not for 'exec.so'"), std::string::npos) << r.err;

  // Unreadable trusted key list.
  r = Describe(reporter, keys_ + "/missing.pub");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("trusted keys are unusable"), std::string::npos) << r.err;
}

// mlopsd with a plugin folder and optional extra config; returns the log
// when it refuses to start.
class DaemonPluginTest : public PluginTrustTest {
 protected:
  std::unique_ptr<Daemon> Make(const std::string& config_yaml) {
    std::vector<std::string> extra;
    if (!config_yaml.empty()) {
      WriteText(dir_.Sub("mlopsd.yaml"), config_yaml);
      extra = {"--config", dir_.Sub("mlopsd.yaml")};
    }
    return std::make_unique<Daemon>(dir_.Sub("state"), dir_.Sub("pipelines"),
                                    std::vector<std::string>{plugins_}, extra);
  }
};

TEST_F(DaemonPluginTest, RefusesToStartOnAnUntrustedPluginPlace) {
  AddPlugin(PluginDir() + "/exec.so", "exec.so");
  ASSERT_EQ(::chmod(plugins_.c_str(), 0777), 0);
  auto d = Make("");
  EXPECT_FALSE(d->Start(std::chrono::seconds(10)));
  std::string log = ReadText(d->log_path());
  EXPECT_NE(log.find("plugin directory " + plugins_ + " is not a trusted place"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("mode 0777"), std::string::npos) << log;
  EXPECT_NE(log.find("not writable by group or others"), std::string::npos) << log;

  ASSERT_EQ(::chmod(plugins_.c_str(), 0755), 0);
  ASSERT_EQ(::chmod((plugins_ + "/exec.so").c_str(), 0775), 0);
  auto d2 = Make("");
  EXPECT_FALSE(d2->Start(std::chrono::seconds(10)));
  log = ReadText(d2->log_path());
  EXPECT_NE(log.find("plugin file " + plugins_ + "/exec.so is not a trusted place"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("mode 0775"), std::string::npos) << log;
}

TEST_F(DaemonPluginTest, RequiredSignaturesNeedATrustedKey) {
  AddPlugin(PluginDir() + "/exec.so", "exec.so");
  auto d = Make("require_plugin_signatures: true\n");
  EXPECT_FALSE(d->Start(std::chrono::seconds(10)));
  std::string log = ReadText(d->log_path());
  EXPECT_NE(log.find("trusted_keys names no public key file"), std::string::npos) << log;
}

TEST_F(DaemonPluginTest, SignedPluginsRunUnsignedAndTamperedAreRefused) {
  std::string exec = AddPlugin(PluginDir() + "/exec.so", "exec.so");
  Sign(exec);
  AddPlugin(FixturePluginDir() + "/reporter.so", "reporter.so");  // unsigned
  WriteText(dir_.Sub("pipelines/p.yaml"),
            "version: 1\nname: p\nstages:\n"
            "  - {name: hello, uses: exec, run: \"echo hi\", shell: false, outputs: []}\n");
  auto d = Make("require_plugin_signatures: true\ntrusted_keys: [" + keys_ + "/trusted.pub]\n");
  ASSERT_TRUE(d->Start()) << ReadText(d->log_path());

  CommandResult list = d->Ctl({"--json", "plugins", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  json plugins = json::parse(list.out);
  bool exec_ok = false, reporter_refused = false;
  for (const auto& p : (plugins.is_object() ? plugins["plugins"] : plugins)) {
    if (p.value("name", "") == "exec") exec_ok = true;
    if (p.value("path", "").find("reporter.so") != std::string::npos && p.contains("error")) {
      reporter_refused = p["error"].get<std::string>().find(".sig cannot be read") !=
                         std::string::npos;
    }
  }
  EXPECT_TRUE(exec_ok) << list.out;
  EXPECT_TRUE(reporter_refused) << list.out;

  // The plugin is changed after the daemon described it: the stage host
  // refuses it before dlopen and the attempt fails with that reason.
  std::string bytes = ReadText(exec);
  WriteText(exec, bytes + "X");
  CommandResult run = d->Ctl({"trigger", "p", "--wait", "--timeout", "60"});
  EXPECT_NE(run.exit_code, 0) << run.out << run.err << ReadText(d->log_path());
  CommandResult show = d->Ctl({"--json", "runs", "show", "1"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("does not match its signature"), std::string::npos) << show.out;

  // Restored, it runs.
  WriteText(exec, bytes);
  run = d->Ctl({"trigger", "p", "--wait", "--timeout", "60", "--force"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err << ReadText(d->log_path());
}

// A key revoked while the daemon runs (mlctl keys revoke): the plugins it
// signed are refused from the next attempt on, and after a restart too.
TEST_F(DaemonPluginTest, PluginsSignedByAKeyRevokedWhileRunningAreRefused) {
  std::string exec = AddPlugin(PluginDir() + "/exec.so", "exec.so");
  Sign(exec);
  WriteText(dir_.Sub("pipelines/p.yaml"),
            "version: 1\nname: p\nstages:\n"
            "  - {name: hello, uses: exec, run: \"echo hi\", shell: false, outputs: []}\n");
  const std::string config =
      "require_plugin_signatures: true\ntrusted_keys: [" + keys_ + "/trusted.pub]\n";
  auto d = Make(config);
  ASSERT_TRUE(d->Start()) << ReadText(d->log_path());
  CommandResult run = d->Ctl({"trigger", "p", "--wait", "--timeout", "60"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err << ReadText(d->log_path());

  CommandResult revoke = d->Ctl({"keys", "revoke", trusted_.key_id});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.out << revoke.err;
  run = d->Ctl({"trigger", "p", "--wait", "--timeout", "60", "--force"});
  EXPECT_NE(run.exit_code, 0) << run.out << run.err;
  CommandResult show = d->Ctl({"--json", "runs", "show", "2"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("which has been revoked"), std::string::npos) << show.out;

  // Restarted on the same registry: exec is refused when it is described.
  d.reset();
  d = Make(config);
  ASSERT_TRUE(d->Start()) << ReadText(d->log_path());
  CommandResult list = d->Ctl({"--json", "plugins", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("which has been revoked"), std::string::npos) << list.out;
}

}  // namespace
}  // namespace mlops::e2e

namespace mlops::e2e {
namespace {

// The signer plugin in the real daemon: the stage host runs it with the
// daemon's signing_key; the envelope it stores verifies with mlctl verify
// against the model files fetched back from the artifact store.
TEST_F(DaemonPluginTest, SignerStageSignsTheModelWithTheDaemonsKey) {
  AddPlugin(PluginDir() + "/exec.so", "exec.so");
  AddPlugin(PluginDir() + "/signer.so", "signer.so");
  WriteText(dir_.Sub("pipelines/s.yaml"),
            "version: 1\nname: s\nstages:\n"
            "  - name: train\n    uses: exec\n    shell: true\n"
            "    run: \"printf weights > model.bin\"\n    outputs: [model.bin]\n"
            "  - name: sign\n    uses: signer\n    needs: [train]\n    inputs: [model.bin]\n");
  auto d = Make("signing_key: " + keys_ + "/trusted.key\n");
  ASSERT_TRUE(d->Start()) << ReadText(d->log_path());
  CommandResult run = d->Ctl({"trigger", "s", "--wait", "--timeout", "120"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err << ReadText(d->log_path());
  CommandResult show = d->Ctl({"--json", "runs", "show", "1"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  json r = json::parse(show.out);
  std::string model_sha, sig_sha;
  for (const auto& s : r["stages"]) {
    for (const auto& a : s["artifacts"]) {
      if (a.value("kind", "") != "produced") continue;
      if (s["stage"] == "train") model_sha = a["artifact"];
      if (s["stage"] == "sign") sig_sha = a["artifact"];
    }
  }
  ASSERT_EQ(model_sha.size(), 64u) << show.out;
  ASSERT_EQ(sig_sha.size(), 64u) << show.out;
  const std::string model = dir_.Sub("fetched");
  ::mkdir(model.c_str(), 0755);
  ASSERT_EQ(d->Ctl({"artifacts", "get", model_sha, "-o", model + "/model.bin"}).exit_code, 0);
  ASSERT_EQ(d->Ctl({"artifacts", "get", sig_sha, "-o", dir_.Sub("model.sig.json")}).exit_code, 0);
  CommandResult v = RunCommand({MlctlPath(), "--json", "verify", "--dir", model, "--signature",
                                dir_.Sub("model.sig.json"), "--trusted-key",
                                keys_ + "/trusted.pub"});
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  json j = json::parse(v.out);
  EXPECT_EQ(j["key_id"], trusted_.key_id);
  EXPECT_EQ(j["predicate"]["provenance"]["run_id"], 1);
  EXPECT_EQ(j["predicate"]["signer"]["stage"], "sign");
  // The private key never shows in the run record or the daemon's log.
  const std::string priv = ReadText(keys_ + "/trusted.key");
  const std::string secret_line = priv.substr(priv.find('\n') + 1, 40);
  EXPECT_EQ(show.out.find(secret_line), std::string::npos);
  EXPECT_EQ(ReadText(d->log_path()).find(secret_line), std::string::npos);
  EXPECT_EQ(v.out.find(secret_line), std::string::npos);
}

}  // namespace
}  // namespace mlops::e2e
