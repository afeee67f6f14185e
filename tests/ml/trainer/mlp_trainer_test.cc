// TrainMlp on Debian's real breast_cancer data: it learns, it is
// deterministic for a seed, and an interrupted run resumes from its
// checkpoint to exactly the weights of an uninterrupted one.
#include "torch/mlp_trainer.h"

#include <gtest/gtest.h>

#include "data/csv_loader.h"
#include "data/data_spec.h"
#include "temp_dir.h"

namespace mlops::ml {
namespace {

using mlops::testing::TempDir;

const char* kSklearnData = "/usr/lib/python3/dist-packages/sklearn/datasets/data/";

Dataset Load(const std::string& file, const nlohmann::json& extra = nlohmann::json::object()) {
  nlohmann::json j = {{"path", std::string(kSklearnData) + file}, {"format", "sklearn"}};
  j.update(extra);
  DataSpec spec;
  Status s = ParseDataSpec(j, "/", &spec);
  EXPECT_TRUE(s.ok()) << s.ToString();
  Dataset d;
  s = LoadDataset(spec, &d);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return d;
}

Split SplitOf(const Dataset& d) {
  Split split;
  EXPECT_TRUE(MakeSplit(d, SplitSpec{}, &split).ok());
  return split;
}

MlpParams Quick() {
  MlpParams p;
  p.hidden = {32};
  p.epochs = 12;
  p.patience = 0;
  p.lr = 3e-3;
  p.seed = 5;
  return p;
}

TEST(MlpTrainerTest, LearnsBreastCancer) {
  Dataset d = Load("breast_cancer.csv");
  Split split = SplitOf(d);
  MlpParams p = Quick();
  p.epochs = 40;
  TrainResult r;
  ASSERT_TRUE(TrainMlp(d, split, p, {}, &r).ok());
  EXPECT_EQ(r.device, "cpu");
  EXPECT_GE(r.best_val_score, 0.92);  // scikit-learn's LogisticRegression: 0.9386 on this split
  EXPECT_EQ(r.curve.size(), 40u);
  EXPECT_LT(r.curve.back().loss, r.curve.front().loss);
  for (const auto& e : r.curve) {
    EXPECT_GT(e.train_seconds, 0) << "epoch " << e.epoch;
    EXPECT_LE(e.train_seconds, e.seconds) << "epoch " << e.epoch;  // the validation pass comes after
  }
  EXPECT_EQ(r.samples_seen, static_cast<int64_t>(40 * split.train.size()));
  EXPECT_EQ(r.model.inputs(), 30u);
  EXPECT_EQ(r.model.outputs(), 2u);
}

TEST(MlpTrainerTest, SameSeedSameWeightsOtherSeedOtherWeights) {
  Dataset d = Load("iris.csv");
  Split split = SplitOf(d);
  TrainResult a, b, c;
  MlpParams p = Quick();
  ASSERT_TRUE(TrainMlp(d, split, p, {}, &a).ok());
  ASSERT_TRUE(TrainMlp(d, split, p, {}, &b).ok());
  p.seed = 6;
  ASSERT_TRUE(TrainMlp(d, split, p, {}, &c).ok());
  EXPECT_EQ(a.model.layers[0].weight, b.model.layers[0].weight);
  EXPECT_EQ(a.model.layers[1].bias, b.model.layers[1].bias);
  EXPECT_NE(a.model.layers[0].weight, c.model.layers[0].weight);
}

TEST(MlpTrainerTest, InterruptedRunResumesFromItsCheckpoint) {
  TempDir dir;
  Dataset d = Load("wine_data.csv");
  Split split = SplitOf(d);
  MlpParams p = Quick();
  p.dropout = 0.1;  // the dropout masks must replay too
  TrainResult whole;
  ASSERT_TRUE(TrainMlp(d, split, p, {}, &whole).ok());

  TrainHooks hooks;
  hooks.checkpoint_path = dir.Join("ckpt");
  hooks.on_epoch = [](const EpochReport& e) { return e.epoch < 5; };
  TrainResult first;
  ASSERT_TRUE(TrainMlp(d, split, p, hooks, &first).ok());
  EXPECT_TRUE(first.interrupted);
  EXPECT_EQ(first.curve.size(), 5u);

  hooks.on_epoch = nullptr;
  TrainResult resumed;
  ASSERT_TRUE(TrainMlp(d, split, p, hooks, &resumed).ok());
  EXPECT_EQ(resumed.resumed_from_epoch, 5);
  EXPECT_EQ(resumed.curve.size(), 12u);
  EXPECT_EQ(resumed.model.layers[0].weight, whole.model.layers[0].weight);
  EXPECT_EQ(resumed.best_epoch, whole.best_epoch);
  for (size_t i = 0; i < resumed.curve.size(); ++i) {
    EXPECT_DOUBLE_EQ(resumed.curve[i].loss, whole.curve[i].loss) << "epoch " << i + 1;
    EXPECT_DOUBLE_EQ(resumed.curve[i].val_loss, whole.curve[i].val_loss) << "epoch " << i + 1;
  }
  for (size_t i = 0; i < first.curve.size(); ++i) {  // the checkpoint's epochs, timings included
    EXPECT_EQ(resumed.curve[i].seconds, first.curve[i].seconds) << "epoch " << i + 1;
    EXPECT_EQ(resumed.curve[i].train_seconds, first.curve[i].train_seconds) << "epoch " << i + 1;
  }

  // Other hyperparameters: the checkpoint is not theirs, training starts afresh.
  p.lr = 1e-3;
  TrainResult other;
  ASSERT_TRUE(TrainMlp(d, split, p, hooks, &other).ok());
  EXPECT_EQ(other.resumed_from_epoch, 0);
}

TEST(MlpTrainerTest, EarlyStoppingKeepsTheBestEpoch) {
  Dataset d = Load("breast_cancer.csv");
  Split split = SplitOf(d);
  MlpParams p = Quick();
  p.epochs = 400;
  p.lr = 0.05;  // overfits fast
  p.hidden = {128};
  p.patience = 5;
  TrainResult r;
  ASSERT_TRUE(TrainMlp(d, split, p, {}, &r).ok());
  EXPECT_TRUE(r.stopped_early);
  EXPECT_EQ(static_cast<int>(r.curve.size()), r.best_epoch + 5);
  double best = 1e9;
  for (const auto& e : r.curve) best = std::min(best, e.val_loss);
  EXPECT_DOUBLE_EQ(best, r.best_val_loss);
}

TEST(MlpTrainerTest, LearnsRegressionOnDiabetes) {
  DataSpec spec;
  ASSERT_TRUE(ParseDataSpec({{"path", std::string(kSklearnData) + "diabetes_data_raw.csv.gz"},
                             {"label_path", std::string(kSklearnData) + "diabetes_target.csv.gz"},
                             {"header", false},
                             {"delimiter", "whitespace"},
                             {"task", "regression"}},
                            "/", &spec)
                  .ok());
  Dataset d;
  ASSERT_TRUE(LoadDataset(spec, &d).ok());
  MlpParams p = Quick();
  p.epochs = 60;
  TrainResult r;
  ASSERT_TRUE(TrainMlp(d, SplitOf(d), p, {}, &r).ok());
  EXPECT_GT(r.best_val_score, 0.3);  // R^2; linear models reach ~0.45 here
  EXPECT_EQ(r.model.outputs(), 1u);
}

TEST(MlpTrainerTest, CancelStopsBetweenBatches) {
  Dataset d = Load("breast_cancer.csv");
  int polls = 0;
  TrainHooks hooks;
  hooks.cancelled = [&polls] { return ++polls > 3; };
  TrainResult r;
  ASSERT_TRUE(TrainMlp(d, SplitOf(d), Quick(), hooks, &r).ok());
  EXPECT_TRUE(r.interrupted);
  EXPECT_TRUE(r.curve.empty());
}

TEST(MlpParamsTest, ReadsOverridesAndNamesBadValues) {
  MlpParams p;
  ASSERT_TRUE(ParseMlpParams({{"hidden", {64, 32}}, {"lr", 0.01}, {"batch_size", 64.0}}, &p).ok());
  EXPECT_EQ(p.hidden, (std::vector<int>{64, 32}));
  EXPECT_DOUBLE_EQ(p.lr, 0.01);
  EXPECT_EQ(p.batch_size, 64);
  ASSERT_TRUE(ParseMlpParams({{"layers", 3}}, &p).ok());
  EXPECT_EQ(p.hidden, (std::vector<int>{64, 64, 64}));
  ASSERT_TRUE(ParseMlpParams({{"hidden", 128}}, &p).ok());  // a tuned width keeps the depth
  EXPECT_EQ(p.hidden, (std::vector<int>{128, 128, 128}));
  EXPECT_EQ(ParseMlpParams({{"lr", -1}}, &p).message(), "'lr': expected a number in [1e-08, 10], got -1");
  EXPECT_NE(ParseMlpParams({{"dropout", 1.0}}, &p).message().find("'dropout'"), std::string::npos);
  EXPECT_NE(ParseMlpParams({{"optimizer", "rmsprop"}}, &p).message().find("adam, adamw or sgd"), std::string::npos);
  EXPECT_NE(ParseMlpParams({{"hidden", {64, "x"}}}, &p).message().find("'hidden'"), std::string::npos);
  EXPECT_NE(ParseMlpParams({{"epochs", 2.5}}, &p).message().find("'epochs'"), std::string::npos);
  EXPECT_NE(ParseMlpParams({{"activation", "swish"}}, &p).message().find("relu, tanh or sigmoid"), std::string::npos);
}

}  // namespace
}  // namespace mlops::ml
