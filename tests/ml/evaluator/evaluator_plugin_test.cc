// The evaluator plugin, run in-process (common/fake_host.h) on models built
// by hand: a logistic-regression-like single layer over a CSV written here,
// so every expected value is known. Metrics, gates and their messages, both
// report files, slices, the champion comparison, the data digest check,
// bad params, and (with libtorch) cross-validation.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "common/fake_host.h"
#include "data/csv_loader.h"
#include "data/data_spec.h"
#include "data/rng.h"
#include "data/split.h"
#include "metrics/classification_metrics.h"
#include "metrics/gates.h"
#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "model/model_file.h"
#include "temp_dir.h"

namespace mlops::ml {
namespace {

using mlops::testing::TempDir;
using nlohmann::json;
using testing::FakeStage;
using testing::LoadedPlugin;

constexpr int kRows = 300;

class EvaluatorPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(plugin_.ok()) << plugin_.load_error();
    ::unsetenv("MLOPS_PRODUCTION_MODEL");
    WriteData();
  }
  void TearDown() override { ::unsetenv("MLOPS_PRODUCTION_MODEL"); }

  // x1, x2 ~ N(0, 1), group in {0, 1, 2}; label = x1 + x2 + noise > 0, and
  // target = 2 x1 - x2 + 1 for the regression file.
  void WriteData() {
    Rng rng(5);
    std::string cls = "x1,x2,group,label\n", reg = "x1,x2,group,target\n";
    for (int i = 0; i < kRows; ++i) {
      const double x1 = std::round(rng.Normal() * 1000) / 1000;
      const double x2 = std::round(rng.Normal() * 1000) / 1000;
      const int group = i % 3;
      const double noise = group == 2 ? 1.5 * rng.Normal() : 0.0;  // group 2 is hard
      cls += std::to_string(x1) + "," + std::to_string(x2) + "," + std::to_string(group) + "," +
             (x1 + x2 + noise > 0 ? "yes" : "no") + "\n";
      reg += std::to_string(x1) + "," + std::to_string(x2) + "," + std::to_string(group) + "," +
             std::to_string(2 * x1 - x2 + 1) + "\n";
    }
    ASSERT_TRUE(WriteFileAtomic(dir_.Join("data.csv"), cls).ok());
    ASSERT_TRUE(WriteFileAtomic(dir_.Join("reg.csv"), reg).ok());
  }

  static json Spec(const std::string& path, Task task) {
    DataSpec spec;
    spec.path = path;
    spec.task = task;
    return ToJson(spec);
  }

  // Classes "no", "yes": p(yes) = sigmoid(w (x1 + x2)) (w < 0 inverts it).
  MlpModel Logistic(double w) {
    MlpModel m;
    m.task = Task::kClassification;
    m.feature_names = {"x1", "x2", "group"};
    m.label_name = "label";
    m.classes = {"no", "yes"};
    m.feature_mean = {0, 0, 0};
    m.feature_std = {1, 1, 1};
    DenseLayer l;
    l.in = 3;
    l.out = 2;
    l.weight = {0, 0, 0, static_cast<float>(w), static_cast<float>(w), 0};
    l.bias = {0, 0};
    m.layers.push_back(l);
    Provenance(&m, dir_.Join("data.csv"), Task::kClassification);
    return m;
  }

  // y = a (2 x1 - x2) + 1: exact for a == 1.
  MlpModel Linear(double a) {
    MlpModel m;
    m.task = Task::kRegression;
    m.feature_names = {"x1", "x2", "group"};
    m.label_name = "target";
    m.feature_mean = {0, 0, 0};
    m.feature_std = {1, 1, 1};
    m.target_mean = 1;
    m.target_std = 1;
    DenseLayer l;
    l.in = 3;
    l.out = 1;
    l.weight = {static_cast<float>(2 * a), static_cast<float>(-a), 0};
    l.bias = {0};
    m.layers.push_back(l);
    Provenance(&m, dir_.Join("reg.csv"), Task::kRegression);
    return m;
  }

  void Provenance(MlpModel* m, const std::string& data, Task task) {
    std::string sha;
    uint64_t size = 0;
    ASSERT_TRUE(Sha256File(data, &sha, &size).ok());
    m->provenance = {{"data", Spec(data, task)},
                     {"data_sha256", sha},
                     {"split", ToJson(SplitSpec{})},
                     {"params",
                      {{"hidden", {8}},
                       {"epochs", 15},
                       {"lr", 0.05},
                       {"patience", 0},
                       {"batch_size", 32},
                       {"seed", 3},
                       {"device", "cpu"}}}};
  }

  std::string Save(const MlpModel& m, const std::string& name) {
    EXPECT_TRUE(SaveModel(m, dir_.Join(name)).ok());
    return dir_.Join(name);
  }

  FakeStage& Evaluate(const json& with, const std::string& model = "model.mlp") {
    stage_.work_dir = dir_.path();
    stage_.scratch_dir = dir_.path();
    stage_.inputs = {{"model.mlp", dir_.Join(model)}};
    stage_.params_json = with.dump();
    status_ = plugin_.Run(stage_);
    return stage_;
  }

  json Report() {
    std::string text;
    EXPECT_TRUE(ReadFile(dir_.Join("evaluation.json"), &text).ok());
    return json::parse(text);
  }
  std::string Junit() {
    std::string text;
    EXPECT_TRUE(ReadFile(dir_.Join("evaluation.junit.xml"), &text).ok());
    return text;
  }

  LoadedPlugin plugin_{MLOPS_EVALUATOR_SO};
  TempDir dir_;
  FakeStage stage_;
  mlops_status status_ = MLOPS_ERROR;
};

TEST_F(EvaluatorPluginTest, ReportsTheLibrarysMetricsOfTheTestSplit) {
  const MlpModel model = Logistic(3.0);
  Save(model, "model.mlp");
  FakeStage& s = Evaluate(json::object());
  ASSERT_EQ(status_, MLOPS_OK) << s.error;

  // The same numbers, computed here from the trainer's split.
  DataSpec spec;
  ASSERT_TRUE(ParseDataSpec(model.provenance["data"], "", &spec).ok());
  Dataset data;
  ASSERT_TRUE(LoadDataset(spec, &data).ok());
  Split split;
  ASSERT_TRUE(MakeSplit(data, SplitSpec{}, &split).ok());
  std::vector<float> x;
  std::vector<int> y;
  for (size_t r : split.test) {
    x.insert(x.end(), data.row(r), data.row(r) + data.cols);
    y.push_back(static_cast<int>(data.labels[r]));
  }
  std::vector<double> proba;
  model.Predict(x.data(), split.test.size(), &proba);
  metrics::ClassificationEvaluation want;
  ASSERT_TRUE(metrics::EvaluateClassification(y, proba, 2, &want).ok());
  for (const std::string& name : metrics::ClassificationMetricNames()) {
    EXPECT_EQ(s.MetricValue(name), *want.metrics.Get(name)) << name;
  }
  EXPECT_GT(s.MetricValue("accuracy"), 0.7);

  ASSERT_NE(s.Output("evaluation.json"), nullptr);
  ASSERT_NE(s.Output("evaluation.junit.xml"), nullptr);
  EXPECT_EQ(s.Output("evaluation.json")->path, dir_.Join("evaluation.json"));
  json r = Report();
  EXPECT_EQ(r["version"], 1);
  EXPECT_EQ(r["passed"], true);
  EXPECT_EQ(r["task"], "classification");
  EXPECT_EQ(r["classes"], json({"no", "yes"}));
  EXPECT_EQ(r["sizes"]["test"], split.test.size());
  EXPECT_EQ(r["sizes"]["train"], split.train.size());
  EXPECT_EQ(r["data"]["sha256"], model.provenance["data_sha256"]);
  EXPECT_EQ(r["confusion_matrix"], json(want.confusion));
  EXPECT_EQ(r["metrics"]["values"]["f1"], *want.metrics.Get("f1"));
  EXPECT_NE(Junit().find("tests=\"0\" failures=\"0\""), std::string::npos);
}

TEST_F(EvaluatorPluginTest, PassingGates) {
  Save(Logistic(3.0), "model.mlp");
  FakeStage& s = Evaluate({{"gates", {{"accuracy", ">= 0.6"}, {"log_loss", "< 5"}}}});
  ASSERT_EQ(status_, MLOPS_OK) << s.error;
  EXPECT_EQ(s.MetricValue("gates_passed"), 1.0);
  const std::string x = Junit();
  EXPECT_NE(x.find("tests=\"2\" failures=\"0\""), std::string::npos) << x;
  EXPECT_NE(x.find("name=\"accuracy &gt;= 0.6\""), std::string::npos) << x;
  EXPECT_NE(s.AllLogs().find("gate accuracy >= 0.6 passed: got"), std::string::npos);
}

TEST_F(EvaluatorPluginTest, FailingGateFailsTheStageButWritesTheReports) {
  Save(Logistic(3.0), "model.mlp");
  FakeStage& s = Evaluate({{"gates", {{"f1", ">= 0.999"}, {"accuracy", ">= 0.5"}}}});
  EXPECT_EQ(status_, MLOPS_ERROR);
  const std::string got = metrics::FormatValue(s.MetricValue("f1"));
  EXPECT_EQ(s.error, "evaluator: 1 of 2 gates failed: gate f1 >= 0.999 failed: got " + got);
  ASSERT_NE(s.Output("evaluation.json"), nullptr);
  ASSERT_NE(s.Output("evaluation.junit.xml"), nullptr);
  EXPECT_EQ(s.MetricValue("gates_passed"), 0.0);
  EXPECT_EQ(Report()["passed"], false);
  const std::string x = Junit();
  EXPECT_NE(x.find("tests=\"2\" failures=\"1\""), std::string::npos) << x;
  EXPECT_NE(x.find("<failure type=\"gate\" message=\"gate f1 &gt;= 0.999 failed: got " + got),
            std::string::npos)
      << x;
}

TEST_F(EvaluatorPluginTest, BadParams) {
  Save(Logistic(3.0), "model.mlp");
  struct Case {
    json with;
    std::string says;
  } cases[] = {
      {{{"gatez", json::object()}}, "unknown parameter 'gatez'"},
      {{{"gates", {{"f2", ">= 0.9"}}}}, "gate f2: unknown metric 'f2'"},
      {{{"gates", {{"rmse", "<= 1"}}}}, "gate rmse: unknown metric"},
      {{{"gates", {{"f1", "=> 0.9"}}}}, "gate f1: expected \"<op> <number>\""},
      {{{"gates", {{"cv_f1_mean", ">= 0.9"}}}}, "gate cv_f1_mean: unknown metric"},
      {{{"gates", "f1 >= 0.9"}}, "'gates': expected a mapping"},
      {{{"cv", 1}}, "'cv': expected a number of folds from 3 to 20"},
      {{{"cv", "5"}}, "'cv': expected a number of folds"},
      {{{"slices", "group"}}, "'slices': expected a list"},
      {{{"slices", {"nope"}}}, "slices: no feature column 'nope' (columns: x1, x2, group)"},
      {{{"compare_to", "staging"}}, "'compare_to': expected \"production\""},
      {{{"compare_metric", "rmse"}}, "'compare_metric': 'rmse' is not a classification metric"},
      {{{"model", "other.mlp"}}, "no input 'other.mlp'"},
  };
  for (const Case& c : cases) {
    FakeStage& s = Evaluate(c.with);
    EXPECT_EQ(status_, MLOPS_BAD_PARAMS) << c.with.dump() << ": " << s.error;
    EXPECT_NE(s.error.find(c.says), std::string::npos) << c.with.dump() << ": " << s.error;
    stage_.error.clear();
  }
}

TEST_F(EvaluatorPluginTest, SlicesByDistinctValuesAndQuartiles) {
  Save(Logistic(3.0), "model.mlp");
  FakeStage& s = Evaluate({{"slices", {"group", "x1"}}});
  ASSERT_EQ(status_, MLOPS_OK) << s.error;
  json slices = Report()["slices"];
  ASSERT_EQ(slices.size(), 7u) << slices.dump();  // 3 groups, 4 quartile bins of x1
  EXPECT_EQ(slices[0]["slice"], "group = 0");
  EXPECT_EQ(slices[2]["slice"], "group = 2");
  EXPECT_EQ(slices[3]["column"], "x1");
  EXPECT_EQ(slices[3]["slice"].get<std::string>().rfind("x1 <= ", 0), 0u);
  size_t rows = 0;
  for (int i = 0; i < 3; ++i) rows += slices[i]["rows"].get<size_t>();
  EXPECT_EQ(rows, Report()["sizes"]["test"].get<size_t>());
  // Group 2 has the noisy labels: the model is worse there.
  EXPECT_LT(slices[2]["metrics"]["values"]["accuracy"].get<double>(),
            slices[0]["metrics"]["values"]["accuracy"].get<double>());
  EXPECT_EQ(slices[0]["metrics"]["values"]["accuracy"], 1.0);
}

TEST_F(EvaluatorPluginTest, ChallengerNotWorseThanTheProductionModelPasses) {
  Save(Logistic(3.0), "model.mlp");
  const std::string prod = Save(Logistic(-3.0), "prod.mlp");  // inverted: much worse
  ::setenv("MLOPS_PRODUCTION_MODEL", prod.c_str(), 1);
  FakeStage& s = Evaluate({{"compare_to", "production"}});
  ASSERT_EQ(status_, MLOPS_OK) << s.error;
  EXPECT_LT(s.MetricValue("champion_f1"), s.MetricValue("f1"));
  json r = Report();
  EXPECT_EQ(r["champion"]["present"], true);
  EXPECT_EQ(r["champion"]["source"], "MLOPS_PRODUCTION_MODEL");
  ASSERT_EQ(r["gates"].size(), 1u);
  EXPECT_EQ(r["gates"][0]["gate"],
            "f1 >= champion (" + metrics::FormatValue(s.MetricValue("champion_f1")) + ")");
}

TEST_F(EvaluatorPluginTest, ChallengerWorseThanTheChampionFails) {
  Save(Logistic(-3.0), "model.mlp");
  Save(Logistic(3.0), "champion.mlp");
  FakeStage& s = Evaluate({{"champion", "champion.mlp"}, {"compare_metric", "roc_auc"}});
  EXPECT_EQ(status_, MLOPS_ERROR);
  EXPECT_NE(s.error.find("gate roc_auc >= champion ("), std::string::npos) << s.error;
  EXPECT_NE(s.Output("evaluation.junit.xml"), nullptr);
  EXPECT_EQ(Report()["champion"]["source"], "param 'champion'");
}

TEST_F(EvaluatorPluginTest, NoProductionModelPassesAndSaysSo) {
  Save(Logistic(3.0), "model.mlp");
  FakeStage& s = Evaluate({{"compare_to", "production"}});
  ASSERT_EQ(status_, MLOPS_OK) << s.error;
  EXPECT_NE(s.AllLogs().find("no production model (MLOPS_PRODUCTION_MODEL is not set)"),
            std::string::npos)
      << s.AllLogs();
  EXPECT_EQ(Report()["champion"]["present"], false);
  ::setenv("MLOPS_PRODUCTION_MODEL", dir_.Join("gone.mlp").c_str(), 1);
  Evaluate({{"compare_to", "production"}});
  EXPECT_EQ(status_, MLOPS_OK);
  EXPECT_NE(stage_.AllLogs().find("gone.mlp does not exist"), std::string::npos);
}

TEST_F(EvaluatorPluginTest, AnIncomparableChampionIsAnError) {
  Save(Logistic(3.0), "model.mlp");
  MlpModel other = Logistic(3.0);
  other.feature_names = {"a", "b", "c"};
  Save(other, "champion.mlp");
  FakeStage& s = Evaluate({{"champion", "champion.mlp"}});
  EXPECT_EQ(status_, MLOPS_ERROR);
  EXPECT_NE(s.error.find("its features (a, b, c) differ"), std::string::npos) << s.error;
}

TEST_F(EvaluatorPluginTest, RefusesAModelWhoseDataChanged) {
  Save(Logistic(3.0), "model.mlp");
  std::string text;
  ASSERT_TRUE(ReadFile(dir_.Join("data.csv"), &text).ok());
  ASSERT_TRUE(WriteFileAtomic(dir_.Join("data.csv"), text + "0.5,0.5,1,yes\n").ok());
  FakeStage& s = Evaluate(json::object());
  EXPECT_EQ(status_, MLOPS_ERROR);
  EXPECT_NE(s.error.find("refusing the model model.mlp"), std::string::npos) << s.error;
  EXPECT_NE(s.error.find("changed since the model was trained"), std::string::npos) << s.error;
  EXPECT_EQ(s.Output("evaluation.json"), nullptr);
}

TEST_F(EvaluatorPluginTest, Regression) {
  Save(Linear(1.0), "model.mlp");
  Save(Linear(0.5), "champion.mlp");
  FakeStage& s =
      Evaluate({{"gates", {{"r2", ">= 0.999"}, {"rmse", "< 0.01"}}}, {"champion", "champion.mlp"}});
  ASSERT_EQ(status_, MLOPS_OK) << s.error;
  EXPECT_GT(s.MetricValue("r2"), 0.999999);
  EXPECT_LT(s.MetricValue("mae"), 1e-5);
  EXPECT_LT(s.MetricValue("champion_r2"), 0.9);
  json r = Report();
  EXPECT_EQ(r["task"], "regression");
  EXPECT_FALSE(r.contains("confusion_matrix"));
  ASSERT_EQ(r["gates"].size(), 3u);
  EXPECT_EQ(r["gates"][2]["metric"], "r2");  // compare_metric's default
}

TEST_F(EvaluatorPluginTest, CancelledBeforeStarting) {
  Save(Logistic(3.0), "model.mlp");
  stage_.cancel = true;
  Evaluate(json::object());
  EXPECT_EQ(status_, MLOPS_CANCELLED);
}

TEST_F(EvaluatorPluginTest, CrossValidationRetrainsTheRecordedRecipe) {
  Save(Logistic(3.0), "model.mlp");
  FakeStage& s = Evaluate({{"cv", 3}, {"gates", {{"cv_accuracy_mean", ">= 0.6"}}}});
  ASSERT_EQ(status_, MLOPS_OK) << s.error << "\n" << s.AllLogs();
  for (const std::string& name : metrics::ClassificationMetricNames()) {
    EXPECT_GT(s.MetricValue("cv_" + name + "_mean"), 0.0) << name;
    EXPECT_GE(s.MetricValue("cv_" + name + "_std"), 0.0) << name;
  }
  json cv = Report()["cross_validation"];
  EXPECT_EQ(cv["folds"], 3);
  ASSERT_EQ(cv["per_fold"].size(), 3u);
  double sum = 0;
  for (const json& f : cv["per_fold"]) sum += f["values"]["accuracy"].get<double>();
  EXPECT_NEAR(cv["metrics"]["values"]["cv_accuracy_mean"].get<double>(), sum / 3, 1e-12);
}

}  // namespace
}  // namespace mlops::ml
