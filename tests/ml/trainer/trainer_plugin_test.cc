// The trainer plugin (trainer.so) run in-process against a recording host:
// outputs, per-epoch metrics, tuned params, provenance, bad params.
#include <gtest/gtest.h>

#include "common/fake_host.h"
#include "mlops/common/files.h"
#include "model/model_file.h"
#include "temp_dir.h"

namespace mlops::ml {
namespace {

using mlops::testing::TempDir;
using testing::FakeStage;
using testing::LoadedPlugin;

const std::string kBreastCancer = "/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv";

class TrainerPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(plugin_.ok()) << plugin_.load_error();
    stage_.work_dir = dir_.path();
    ASSERT_TRUE(MakeDirs(dir_.Join("scratch")).ok());
    stage_.scratch_dir = dir_.Join("scratch");
  }
  nlohmann::json Params() {
    return {{"data", {{"path", kBreastCancer}, {"format", "sklearn"}}},
            {"epochs", 15}, {"hidden", 32}, {"lr", 0.003}, {"seed", 3}};
  }
  LoadedPlugin plugin_{MLOPS_TRAINER_SO};
  TempDir dir_;
  FakeStage stage_;
};

TEST_F(TrainerPluginTest, WritesAModelWithProvenanceAndEpochMetrics) {
  EXPECT_STREQ(plugin_.info().name, "trainer");
  stage_.params_json = Params().dump();
  ASSERT_EQ(plugin_.Run(stage_), MLOPS_OK) << stage_.error;
  const auto* out = stage_.Output("model.mlp");
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->path, dir_.Join("model.mlp"));
  EXPECT_EQ(out->media_type, kModelMediaType);
  MlpModel m;
  ASSERT_TRUE(LoadModel(out->path, &m).ok());
  EXPECT_EQ(m.provenance["device"], "cpu");
  EXPECT_EQ(m.provenance["params"]["epochs"], 15);
  EXPECT_EQ(m.provenance["data"]["path"], kBreastCancer);
  EXPECT_EQ(m.provenance["data_sha256"].get<std::string>().size(), 64u);
  int epochs = 0;
  for (const auto& metric : stage_.metrics) epochs += metric.key == "val_loss";
  EXPECT_EQ(epochs, 15);
  EXPECT_GE(stage_.MetricValue("best_val_accuracy"), 0.9);
  EXPECT_GT(stage_.MetricValue("samples_per_second"), 0);
  EXPECT_EQ(stage_.params.at("device"), "\"cpu\"");
  EXPECT_DOUBLE_EQ(stage_.last_progress, 1.0);
}

// The breast-cancer-mlp pipeline's train stage (refit on train +
// validation) writes the reference profile of the rows it learned from
// beside the model, as an output artifact of its own.
TEST_F(TrainerPluginTest, WritesTheReferenceProfileOfItsTrainingRows) {
  nlohmann::json p = Params();
  p["split"] = {{"seed", 7}, {"validation", 0.2}, {"test", 0.2}};
  p["refit"] = true;
  p["epochs"] = 3;
  stage_.params_json = p.dump();
  ASSERT_EQ(plugin_.Run(stage_), MLOPS_OK) << stage_.error;
  const auto* out = stage_.Output("reference_profile.json");
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->media_type, "application/vnd.mlopsd.reference-profile+json");
  std::string text;
  ASSERT_TRUE(ReadFile(out->path, &text).ok());
  const nlohmann::json profile = nlohmann::json::parse(text);
  EXPECT_EQ(profile["format"], "mlopsd.reference_profile");
  EXPECT_EQ(profile["version"], 1);
  MlpModel m;
  ASSERT_TRUE(LoadModel(dir_.Join("model.mlp"), &m).ok());
  const auto sizes = m.provenance["split_sizes"];
  EXPECT_EQ(profile["rows"], sizes[0].get<size_t>() + sizes[1].get<size_t>());  // refit: both
  ASSERT_EQ(profile["features"].size(), 30u);
  EXPECT_TRUE(profile["features"][0]["name"].is_string());
  EXPECT_EQ(profile["features"][0]["bins"]["counts"].size(), 10u);
  EXPECT_EQ(profile["label"]["type"], "categorical");
  EXPECT_EQ(profile["label"]["frequencies"].size(), 2u);
  // Training again on the same rows writes the same bytes.
  FakeStage again;
  again.work_dir = dir_.Join("again");
  ASSERT_TRUE(MakeDirs(again.work_dir).ok());
  again.scratch_dir = dir_.Join("scratch");
  again.params_json = p.dump();
  ASSERT_EQ(plugin_.Run(again), MLOPS_OK) << again.error;
  std::string text_again;
  ASSERT_TRUE(ReadFile(dir_.Join("again/reference_profile.json"), &text_again).ok());
  EXPECT_EQ(text, text_again);
}

TEST_F(TrainerPluginTest, TunedParamsOverrideTheStagesOwn) {
  ASSERT_TRUE(WriteFileAtomic(dir_.Join("best_params.json"), R"({"hidden": 8, "lr": 0.01, "epochs": 3})").ok());
  stage_.inputs.push_back({"best_params.json", dir_.Join("best_params.json")});
  stage_.params_json = Params().dump();
  ASSERT_EQ(plugin_.Run(stage_), MLOPS_OK) << stage_.error;
  MlpModel m;
  ASSERT_TRUE(LoadModel(dir_.Join("model.mlp"), &m).ok());
  EXPECT_EQ(m.layers[0].out, 8u);
  EXPECT_EQ(m.provenance["params"]["epochs"], 3);
  EXPECT_EQ(m.provenance["tuned"]["lr"], 0.01);
}

TEST_F(TrainerPluginTest, BadParamsAreNamed) {
  struct Case {
    nlohmann::json patch;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{{"epoch", 3}}, "unknown parameter 'epoch'"},
      {{{"lr", "fast"}}, "'lr': expected a number"},
      {{{"data", {{"path", "/nonexistent/x.csv"}}}}, "/nonexistent/x.csv"},
      {{{"split", {{"test", 1.5}}}}, "split:"},
      {{{"output", "../up.mlp"}}, "'output' must be a file name"},
      {{{"params_from", "tuned.json"}}, "not an input of this stage"},
  };
  for (const Case& c : cases) {
    FakeStage stage;
    stage.work_dir = dir_.path();
    stage.scratch_dir = dir_.Join("scratch");
    nlohmann::json p = Params();
    p.update(c.patch);
    stage.params_json = p.dump();
    EXPECT_NE(plugin_.Run(stage), MLOPS_OK) << c.patch;
    EXPECT_NE(stage.error.find(c.message), std::string::npos) << c.patch << " -> " << stage.error;
    EXPECT_TRUE(stage.outputs.empty());
  }
  FakeStage stage;
  stage.work_dir = dir_.path();
  stage.params_json = R"({"epochs": 3})";
  EXPECT_EQ(plugin_.Run(stage), MLOPS_BAD_PARAMS);
  EXPECT_NE(stage.error.find("'data' is required"), std::string::npos) << stage.error;
}

TEST_F(TrainerPluginTest, CancelledAttemptReportsCancelled) {
  stage_.params_json = Params().dump();
  stage_.cancel = true;
  EXPECT_EQ(plugin_.Run(stage_), MLOPS_CANCELLED);
  EXPECT_TRUE(stage_.outputs.empty());
}

}  // namespace
}  // namespace mlops::ml
