// The signer plugin, dlopened and run against the recording fake host (as
// the ML plugins are tested): what it signs, where the key comes from, and
// every refusal.
#include <stdlib.h>
#include <sys/stat.h>

#include "common/fake_host.h"
#include "signing_fixture.h"

namespace mlops::signing::testing {
namespace {

using mlops::ml::testing::FakeStage;
using mlops::ml::testing::LoadedPlugin;

class SignerPluginTest : public SigningTest {
 protected:
  void SetUp() override {
    SigningTest::SetUp();
    ASSERT_TRUE(plugin_.ok()) << plugin_.load_error();
    Prepare();
  }

  // A fresh workspace, stage and environment (callable again in a loop).
  void Prepare() {
    stage_.error.clear();
    stage_.outputs.clear();
    stage_.params.clear();
    stage_.params_json = "{}";
    work_ = tmp_.Join("workspace");
    WriteText(work_ + "/quantize/model.bin", "int8 weights");
    WriteText(work_ + "/evaluate/report.json", "{\"f1\": 0.95}");
    stage_.work_dir = work_;
    stage_.scratch_dir = tmp_.Join("scratch");
    stage_.inputs = {{"quantize/model.bin", work_ + "/quantize/model.bin"},
                     {"evaluate/report.json", work_ + "/evaluate/report.json"}};
    ::setenv("MLOPS_SIGNING_KEY", key_.priv_path.c_str(), 1);
    ::setenv("MLOPS_RUN_ID", "42", 1);
    ::setenv("MLOPS_STAGE", "sign", 1);
    ::unsetenv("MLOPS_PROVENANCE");
  }
  void TearDown() override {
    ::unsetenv("MLOPS_SIGNING_KEY");
    ::unsetenv("MLOPS_RUN_ID");
    ::unsetenv("MLOPS_STAGE");
    ::unsetenv("MLOPS_PROVENANCE");
  }

  LoadedPlugin plugin_{MLOPS_SIGNER_SO};
  FakeStage stage_;
  std::string work_;
};

TEST_F(SignerPluginTest, SignsEveryInputFileAndRegistersTheEnvelope) {
  EXPECT_STREQ(plugin_.info().name, "signer");
  ASSERT_EQ(plugin_.Run(stage_), MLOPS_OK) << stage_.error;
  const auto* out = stage_.Output("model.sig.json");
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->path, work_ + "/model.sig.json");
  EXPECT_EQ(out->media_type, kEnvelopeMediaType);
  EXPECT_EQ(stage_.params["signing_key_id"], "\"" + key_.pub.key_id + "\"");

  VerifiedStatement vs;
  Status st = Verify(ReadText(out->path), &vs);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(vs.subjects.size(), 2u);
  EXPECT_EQ(vs.subjects[0].name, "evaluate/report.json");
  EXPECT_EQ(vs.subjects[1].name, "quantize/model.bin");
  EXPECT_EQ(vs.predicate["provenance"]["run_id"], 42);
  EXPECT_EQ(vs.predicate["signer"]["key_id"], key_.pub.key_id);
  EXPECT_EQ(vs.predicate["signer"]["stage"], "sign");
  EXPECT_EQ(vs.predicate["signer"]["signed_at"].get<std::string>().size(), 20u);
  // The workspace checks out against the envelope (the envelope itself aside).
  st = VerifyDirectory(work_, vs, {"model.sig.json"});
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST_F(SignerPluginTest, CarriesTheDaemonsProvenanceAndAFolderInput) {
  WriteText(work_ + "/bundle/a.txt", "a");
  WriteText(work_ + "/bundle/sub/b.txt", "b");
  stage_.inputs = {{"bundle", work_ + "/bundle"}};
  std::string prov = tmp_.Join("provenance.json");
  WriteText(prov, R"({"run_id": 9, "commit": "0123abc", "pipeline_digest": "ff",
                      "data_versions": [{"path": "/d.csv", "sha256": "aa"}],
                      "params": {"train": {"lr": 0.1}}, "plugins": {"signer": "bb"},
                      "parents": ["cc"]})");
  ::setenv("MLOPS_PROVENANCE", prov.c_str(), 1);
  stage_.params_json = R"({"output": "bundle.sig.json"})";
  ASSERT_EQ(plugin_.Run(stage_), MLOPS_OK) << stage_.error;
  VerifiedStatement vs;
  ASSERT_TRUE(Verify(ReadText(work_ + "/bundle.sig.json"), &vs).ok());
  ASSERT_EQ(vs.subjects.size(), 2u);
  EXPECT_EQ(vs.subjects[0].name, "bundle/a.txt");
  EXPECT_EQ(vs.subjects[1].name, "bundle/sub/b.txt");
  EXPECT_EQ(vs.predicate["provenance"]["run_id"], 9);
  EXPECT_EQ(vs.predicate["provenance"]["commit"], "0123abc");
  EXPECT_EQ(vs.predicate["provenance"]["params"]["train"]["lr"], 0.1);
  EXPECT_EQ(vs.predicate["signer"]["inputs"], nlohmann::json::array({"bundle"}));
}

struct Refusal {
  std::string name;
  std::function<void(FakeStage&, const std::string& tmp)> setup;
  mlops_status status;
  std::string expect;
};

TEST_F(SignerPluginTest, RefusesWithAClearError) {
  const std::string tmp = tmp_.path();
  const std::string priv = key_.priv_path;
  std::vector<Refusal> cases = {
      {"no key configured", [](FakeStage&, const std::string&) { ::unsetenv("MLOPS_SIGNING_KEY"); },
       MLOPS_ERROR, "no signing key configured"},
      {"key readable by group",
       [&](FakeStage&, const std::string&) { ::chmod(priv.c_str(), 0640); }, MLOPS_ERROR,
       "has mode 0640"},
      {"key readable by others",
       [&](FakeStage&, const std::string&) { ::chmod(priv.c_str(), 0604); }, MLOPS_ERROR,
       "has mode 0604"},
      {"key file missing",
       [](FakeStage&, const std::string& t) { ::setenv("MLOPS_SIGNING_KEY", (t + "/no.key").c_str(), 1); },
       MLOPS_ERROR, "does not exist"},
      {"key path in with",
       [](FakeStage& s, const std::string&) { s.params_json = R"({"key": "/tmp/k"})"; },
       MLOPS_BAD_PARAMS, "configured in the daemon"},
      {"key material in with",
       [](FakeStage& s, const std::string&) { s.params_json = R"({"private_key": "-----BEGIN"})"; },
       MLOPS_BAD_PARAMS, "'private_key'"},
      {"unknown param",
       [](FakeStage& s, const std::string&) { s.params_json = R"({"outptu": "x"})"; },
       MLOPS_BAD_PARAMS, "unknown parameter 'outptu'"},
      {"output escapes",
       [](FakeStage& s, const std::string&) { s.params_json = R"({"output": "../x.json"})"; },
       MLOPS_BAD_PARAMS, "'output' must be a plain file name"},
      {"output not a string",
       [](FakeStage& s, const std::string&) { s.params_json = R"({"output": 3})"; },
       MLOPS_BAD_PARAMS, "'output'"},
      {"missing input",
       [](FakeStage& s, const std::string& t) {
         s.inputs = {{"quantize/gone.bin", t + "/workspace/quantize/gone.bin"}};
       },
       MLOPS_ERROR, "input 'quantize/gone.bin' is missing"},
      {"no inputs", [](FakeStage& s, const std::string&) { s.inputs.clear(); }, MLOPS_ERROR,
       "no inputs"},
      {"absolute input",
       [](FakeStage& s, const std::string&) { s.inputs = {{"/etc/passwd", "/etc/passwd"}}; },
       MLOPS_ERROR, "absolute"},
      {".. input",
       [](FakeStage& s, const std::string& t) {
         s.inputs = {{"../outside.bin", t + "/outside.bin"}};
       },
       MLOPS_ERROR, "'..'"},
      {"symlink input",
       [](FakeStage& s, const std::string& t) {
         ::symlink("/etc/hostname", (t + "/workspace/link.bin").c_str());
         s.inputs = {{"link.bin", t + "/workspace/link.bin"}};
       },
       MLOPS_ERROR, "symlink"},
      {"provenance not an object",
       [](FakeStage&, const std::string& t) {
         WriteText(t + "/bad-prov.json", "[1]");
         ::setenv("MLOPS_PROVENANCE", (t + "/bad-prov.json").c_str(), 1);
       },
       MLOPS_ERROR, "not a JSON object"},
      {"input named like the output",
       [](FakeStage& s, const std::string& t) {
         WriteText(t + "/workspace/model.sig.json", "{}");
         s.inputs = {{"model.sig.json", t + "/workspace/model.sig.json"}};
       },
       MLOPS_BAD_PARAMS, "also the envelope's output"},
  };
  for (const Refusal& c : cases) {
    Prepare();
    FakeStage& s = stage_;
    c.setup(s, tmp);
    mlops_status rc = plugin_.Run(s);
    EXPECT_EQ(rc, c.status) << c.name << ": " << s.error;
    EXPECT_NE(s.error.find(c.expect), std::string::npos)
        << c.name << ": '" << s.error << "' lacks '" << c.expect << "'";
    EXPECT_TRUE(s.outputs.empty()) << c.name;
    ::chmod(priv.c_str(), 0600);
  }
}

}  // namespace
}  // namespace mlops::signing::testing
