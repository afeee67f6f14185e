// The quantizer plugin on a model the trainer plugin trained on real data:
// the INT8 file is at most 30% of the float one, the test accuracy moves
// by at most a point, and bad inputs are refused with the reason.
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

const std::string kData = "/usr/lib/python3/dist-packages/sklearn/datasets/data/";

class QuantizerPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(trainer_.ok()) << trainer_.load_error();
    ASSERT_TRUE(quantizer_.ok()) << quantizer_.load_error();
  }
  // Trains on a copy of `file` (so a test may change it) into dir/model.mlp.
  void Train(const std::string& file, int hidden) {
    ASSERT_TRUE(CopyFile(kData + file, dir_.Join(file)).ok());
    FakeStage t;
    t.work_dir = dir_.path();
    t.scratch_dir = dir_.path();
    t.params_json = nlohmann::json({{"data", {{"path", file}, {"format", "sklearn"}}},
                                    {"epochs", 40}, {"hidden", hidden}, {"layers", 2}, {"lr", 0.003}})
                        .dump();
    ASSERT_EQ(trainer_.Run(t), MLOPS_OK) << t.error;
  }
  FakeStage& Quantize(const nlohmann::json& params) {
    stage_.work_dir = dir_.path();
    stage_.inputs = {{"model.mlp", dir_.Join("model.mlp")}};
    stage_.params_json = params.dump();
    status_ = quantizer_.Run(stage_);
    return stage_;
  }
  LoadedPlugin trainer_{MLOPS_TRAINER_SO};
  LoadedPlugin quantizer_{MLOPS_QUANTIZER_SO};
  TempDir dir_;
  FakeStage stage_;
  mlops_status status_ = MLOPS_ERROR;
};

TEST_F(QuantizerPluginTest, Int8ModelIsSmallAndKeepsItsAccuracy) {
  Train("breast_cancer.csv", 128);
  FakeStage& s = Quantize(nlohmann::json::object());
  ASSERT_EQ(status_, MLOPS_OK) << s.error;
  ASSERT_NE(s.Output("model.int8.mlp"), nullptr);
  EXPECT_LE(s.MetricValue("size_ratio"), 0.30);
  EXPECT_GE(s.MetricValue("accuracy_delta_points"), -1.0);
  EXPECT_GE(s.MetricValue("int8_accuracy"), 0.9);
  MlpModel q;
  ASSERT_TRUE(LoadModel(dir_.Join("model.int8.mlp"), &q).ok());
  EXPECT_TRUE(q.quantized());
  EXPECT_EQ(q.provenance["quantization"]["parent"], "model.mlp");
  EXPECT_EQ(q.provenance["data_sha256"].get<std::string>().size(), 64u);
}

TEST_F(QuantizerPluginTest, RefusesDataThatChangedSinceTraining) {
  Train("iris.csv", 16);
  std::string text;
  ASSERT_TRUE(ReadFile(dir_.Join("iris.csv"), &text).ok());
  text[text.find("5.1")] = '6';
  ASSERT_TRUE(WriteFileAtomic(dir_.Join("iris.csv"), text).ok());
  FakeStage& s = Quantize(nlohmann::json::object());
  EXPECT_EQ(status_, MLOPS_ERROR);
  EXPECT_NE(s.error.find("changed since the model was trained"), std::string::npos) << s.error;
}

TEST_F(QuantizerPluginTest, BadInputsAreRefused) {
  Train("iris.csv", 16);
  EXPECT_NE(Quantize({{"bits", 4}}).error.find("unknown parameter 'bits'"), std::string::npos);
  EXPECT_EQ(status_, MLOPS_BAD_PARAMS);
  EXPECT_NE(Quantize({{"model", "other.mlp"}}).error.find("no input 'other.mlp'"), std::string::npos);
  EXPECT_NE(Quantize({{"max_accuracy_drop", -1}}).error.find("max_accuracy_drop"), std::string::npos);
  ASSERT_TRUE(WriteFileAtomic(dir_.Join("model.mlp"), "not a model").ok());
  EXPECT_NE(Quantize(nlohmann::json::object()).error.find("not an mlopsd model file"), std::string::npos);
  EXPECT_EQ(status_, MLOPS_ERROR);
}

}  // namespace
}  // namespace mlops::ml
