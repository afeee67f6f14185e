// `mlctl keys generate`, `mlctl keys sign-file` and offline `mlctl verify`,
// run as a user would: exit codes and the messages that name the file.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "daemon_harness.h"
#include "mlops/common/files.h"
#include "mlops/signing/signing.h"

namespace mlops::e2e {
namespace {

using nlohmann::json;
constexpr int kVerifyFailed = 8;  // ctl/exit_codes.h kExitVerifyFailed

class MlctlVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CommandResult r = Ctl({"--json", "keys", "generate", "--out-dir", dir_.path()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json j = json::parse(r.out);
    key_id_ = j["key_id"];
    priv_ = j["private_key"];
    pub_ = j["public_key"];
    r = Ctl({"keys", "generate", "--out-dir", dir_.path(), "--name", "other"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    other_pub_ = dir_.Sub("other.pub");
    MakeModel();
  }

  CommandResult Ctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {MlctlPath()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv);
  }

  // A model folder signed with `key` (default: the main key) over `subjects`
  // (default: its files).
  void MakeModel() {
    RemoveTree(model()).ok();
    ::mkdir(model().c_str(), 0755);
    ::mkdir((model() + "/weights").c_str(), 0755);
    WriteText(model() + "/model.bin", "weights v1");
    WriteText(model() + "/weights/layer0.bin", "layer zero");
    std::vector<signing::Subject> subjects;
    ASSERT_TRUE(signing::CollectSubjects(model(), {}, &subjects).ok());
    SignModel(subjects, priv_);
  }
  void SignModel(const std::vector<signing::Subject>& subjects, const std::string& key_file,
                 const std::string& out = "") {
    signing::PrivateKey key;
    ASSERT_TRUE(signing::PrivateKey::Load(key_file, &key).ok());
    std::string env;
    ASSERT_TRUE(signing::SignEnvelope(key, signing::kPayloadType,
                                      signing::MakeStatement(subjects, {{"run_id", 5}}).dump(),
                                      &env)
                    .ok());
    WriteText(out.empty() ? model() + "/model.sig.json" : out, env);
  }
  CommandResult Verify(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"verify", "--dir", model(), "--trusted-key", pub_};
    args.insert(args.end(), extra.begin(), extra.end());
    return Ctl(args);
  }
  std::string model() const { return dir_.Sub("model"); }

  TempDir dir_;
  std::string key_id_, priv_, pub_, other_pub_;
};

TEST_F(MlctlVerifyTest, GenerateMakesA0600KeyAndRefusesToOverwrite) {
  struct stat st;
  ASSERT_EQ(::stat(priv_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(priv_, dir_.Sub("mlops-signing.key"));
  EXPECT_EQ(key_id_.size(), 64u);
  std::string before = ReadText(priv_);
  CommandResult r = Ctl({"keys", "generate", "--out-dir", dir_.path()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("refusing to overwrite"), std::string::npos) << r.err;
  EXPECT_EQ(ReadText(priv_), before);
  r = Ctl({"keys", "generate", "--out-dir", dir_.path(), "--name", "../evil"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--name"), std::string::npos) << r.err;
  // The default folder is the current one (human output names the files).
  r = RunCommand({"/bin/sh", "-c", "cd '" + dir_.Sub("model") + "' && '" + MlctlPath() +
                                       "' keys generate"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("./mlops-signing.key"), std::string::npos) << r.out;
}

TEST_F(MlctlVerifyTest, ValidModelVerifiesAndPrintsKeyAndSubjects) {
  CommandResult r = Verify();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(key_id_), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("weights/layer0.bin"), std::string::npos) << r.out;
  r = Ctl({"--json", "verify", "--dir", model(), "--trusted-key", other_pub_, "--trusted-key",
           pub_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["verified"], true);
  EXPECT_EQ(j["key_id"], key_id_);
  EXPECT_EQ(j["subjects"].size(), 2u);
  EXPECT_EQ(j["predicate"]["run_id"], 5);
  // The signature may live outside the folder.
  ASSERT_EQ(::rename((model() + "/model.sig.json").c_str(), dir_.Sub("m.sig.json").c_str()), 0);
  r = Verify({"--signature", dir_.Sub("m.sig.json")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

struct CliTamper {
  std::string name;
  std::function<std::vector<std::string>()> edit;  // returns extra verify args
  std::string expect;
};

TEST_F(MlctlVerifyTest, EveryAttackFailsNamingTheOffendingFile) {
  std::vector<CliTamper> cases = {
      {"flipped byte", [&] { WriteText(model() + "/model.bin", "weights v2"); return std::vector<std::string>{}; },
       "'model.bin' does not match the signature"},
      {"added file", [&] { WriteText(model() + "/extra.py", "x"); return std::vector<std::string>{}; },
       "'extra.py' is not in the signature"},
      {"removed file", [&] { ::unlink((model() + "/weights/layer0.bin").c_str()); return std::vector<std::string>{}; },
       "'weights/layer0.bin' is listed in the signature but missing"},
      {"renamed file",
       [&] {
         ::rename((model() + "/model.bin").c_str(), (model() + "/model.pt").c_str());
         return std::vector<std::string>{};
       },
       "'model.bin' is listed in the signature but missing, and 'model.pt'"},
      {"symlink",
       [&] {
         WriteText(dir_.Sub("same.bin"), "weights v1");
         ::unlink((model() + "/model.bin").c_str());
         ::symlink(dir_.Sub("same.bin").c_str(), (model() + "/model.bin").c_str());
         return std::vector<std::string>{};
       },
       "'model.bin' is a symlink"},
      {"../ subject",
       [&] {
         SignModel({{"../outside.bin", std::string(64, 'a')}}, priv_);
         return std::vector<std::string>{};
       },
       "subject name \"../outside.bin\" contains '..'"},
      {"untrusted key",
       [&] {
         std::vector<signing::Subject> subjects;
         signing::CollectSubjects(model(), {"model.sig.json"}, &subjects).ok();
         SignModel(subjects, dir_.Sub("other.key"));
         return std::vector<std::string>{};
       },
       "which is not a trusted key"},
      {"revoked key", [&] { return std::vector<std::string>{"--revoked-key-id", key_id_}; },
       "which has been revoked"},
      {"manifest of another artifact",
       [&] {
         std::string other = dir_.Sub("other-model");
         ::mkdir(other.c_str(), 0755);
         WriteText(other + "/model.bin", "another model");
         std::vector<signing::Subject> subjects;
         signing::CollectSubjects(other, {}, &subjects).ok();
         SignModel(subjects, priv_, dir_.Sub("other.sig.json"));
         ::unlink((model() + "/model.sig.json").c_str());
         return std::vector<std::string>{"--signature", dir_.Sub("other.sig.json")};
       },
       "'weights/layer0.bin' is not in the signature"},
      {"garbage envelope",
       [&] { WriteText(model() + "/model.sig.json", "not json"); return std::vector<std::string>{}; },
       "malformed signature envelope"},
      {"missing envelope",
       [&] { ::unlink((model() + "/model.sig.json").c_str()); return std::vector<std::string>{}; },
       "cannot read the signature"},
  };
  for (const CliTamper& c : cases) {
    MakeModel();
    std::vector<std::string> extra = c.edit();
    CommandResult r = Verify(extra);
    EXPECT_EQ(r.exit_code, kVerifyFailed) << c.name << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos)
        << c.name << ": '" << r.err << "' lacks '" << c.expect << "'";
  }
  std::cout << "mlctl verify attack cases refused: " << cases.size() << "\n";
  // --json reports the failure as JSON too.
  MakeModel();
  WriteText(model() + "/model.bin", "weights v2");
  CommandResult r = Ctl({"--json", "verify", "--dir", model(), "--trusted-key", pub_});
  EXPECT_EQ(r.exit_code, kVerifyFailed);
  json j = json::parse(r.out);
  EXPECT_EQ(j["verified"], false);
  EXPECT_NE(j["error"].get<std::string>().find("model.bin"), std::string::npos);
}

TEST_F(MlctlVerifyTest, UsageErrors) {
  CommandResult r = Ctl({"verify", "--dir", model()});
  EXPECT_EQ(r.exit_code, 2);
  r = Verify({"--revoked-key-id", "not-hex"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not-hex"), std::string::npos);
  r = Ctl({"verify", "--dir", model(), "--trusted-key", priv_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(priv_), std::string::npos) << r.err;
  // sign-file refuses a loose private key.
  ::chmod(priv_.c_str(), 0644);
  r = Ctl({"keys", "sign-file", model() + "/model.bin", "--key", priv_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("has mode 0644"), std::string::npos) << r.err;
  ::chmod(priv_.c_str(), 0600);
  r = Ctl({"keys", "sign-file", model() + "/model.bin", "--key", priv_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string key_id;
  std::vector<signing::TrustedKey> trusted;
  ASSERT_TRUE(signing::LoadTrustedKeys({pub_}, &trusted).ok());
  EXPECT_TRUE(signing::VerifyFile(model() + "/model.bin", ReadText(model() + "/model.bin.sig"),
                                  trusted, &key_id)
                  .ok());
  EXPECT_EQ(key_id, key_id_);
}

}  // namespace
}  // namespace mlops::e2e
