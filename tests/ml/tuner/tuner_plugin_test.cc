// The tuner plugin (tuner.so) run in-process against a recording host on
// Debian's breast cancer data: outputs and child records, determinism,
// pruning, cancel, bad params, and TPE against a three times larger grid.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>

#include "common/fake_host.h"
#include "mlops/common/files.h"
#include "temp_dir.h"

namespace mlops::ml {
namespace {

using mlops::testing::TempDir;
using testing::FakeStage;
using testing::LoadedPlugin;

const std::string kBreastCancer = "/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv";

nlohmann::json BaseParams() {
  return {{"data", {{"path", kBreastCancer}, {"format", "sklearn"}}},
          {"split", {{"seed", 5}}},
          {"seed", 7},
          {"epochs", 6},
          {"patience", 0},
          {"space", {{"lr", "loguniform(1e-3, 1e-1)"}, {"hidden", "choice(4, 32)"}}}};
}

class TunerPluginTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(plugin_.ok()) << plugin_.load_error(); }

  // Runs the tuner in a fresh work dir; the stage stays readable afterwards.
  mlops_status Run(const nlohmann::json& params, FakeStage* stage, TempDir* dir) {
    stage->work_dir = dir->path();
    stage->scratch_dir = dir->path();
    stage->params_json = params.dump();
    return plugin_.Run(*stage);
  }

  nlohmann::json ReadJson(const FakeStage& stage, const std::string& name) {
    const auto* out = stage.Output(name);
    if (out == nullptr) {
      ADD_FAILURE() << "no output " << name;
      return nullptr;
    }
    std::string text;
    EXPECT_TRUE(ReadFile(out->path, &text).ok());
    return nlohmann::json::parse(text, nullptr, false);
  }

  // trials.json without the wall times.
  std::string TrialsFingerprint(const FakeStage& stage) {
    nlohmann::json j = ReadJson(stage, "trials.json");
    for (auto& t : j["trials"]) t.erase("seconds");
    return j.dump();
  }

  mlops_status BadParams(const nlohmann::json& params, std::string* error) {
    FakeStage stage;
    TempDir dir;
    const mlops_status st = Run(params, &stage, &dir);
    *error = stage.error;
    EXPECT_TRUE(stage.outputs.empty());
    return st;
  }

  LoadedPlugin plugin_{MLOPS_TUNER_SO};
};

TEST_F(TunerPluginTest, WritesBestParamsTrialsAndAChildRecordPerTrial) {
  EXPECT_STREQ(plugin_.info().name, "tuner");
  nlohmann::json params = BaseParams();
  params["strategy"] = "random";
  params["trials"] = 4;
  FakeStage stage;
  TempDir dir;
  ASSERT_EQ(Run(params, &stage, &dir), MLOPS_OK) << stage.error;

  const nlohmann::json best = ReadJson(stage, "best_params.json");
  ASSERT_TRUE(best.is_object());
  EXPECT_EQ(best.size(), 2u);
  EXPECT_TRUE(best["lr"].is_number_float());
  EXPECT_TRUE(best["hidden"] == 4 || best["hidden"] == 32);
  EXPECT_EQ(nlohmann::json::parse(stage.params.at("best_params")), best);

  const nlohmann::json trials = ReadJson(stage, "trials.json");
  EXPECT_EQ(trials["version"], 1);
  EXPECT_EQ(trials["target"], "val_accuracy");
  EXPECT_EQ(trials["direction"], "maximize");
  ASSERT_EQ(trials["trials"].size(), 4u);
  for (int n = 0; n < 4; ++n) {
    const std::string key = "trial." + std::to_string(n);
    const auto& t = trials["trials"][static_cast<size_t>(n)];
    EXPECT_EQ(t["number"], n);
    EXPECT_EQ(t["status"], "completed");
    EXPECT_EQ(t["curve"].size(), 6u);
    ASSERT_TRUE(stage.params.count(key)) << key;
    const nlohmann::json record = nlohmann::json::parse(stage.params.at(key));
    EXPECT_EQ(record["status"], "completed");
    EXPECT_EQ(record["epochs"], 6);
    EXPECT_EQ(record["params"], t["params"]);
    EXPECT_GT(record["value"].get<double>(), 0.5);
    std::set<int64_t> steps;
    for (const auto& m : stage.metrics) {
      if (m.key == key + ".val_accuracy") steps.insert(m.step);
    }
    EXPECT_EQ(steps, (std::set<int64_t>{1, 2, 3, 4, 5, 6})) << key;
  }
  EXPECT_EQ(stage.MetricValue("best_val_accuracy"), trials["best"]["value"].get<double>());
  EXPECT_EQ(trials["best"]["params"], best);
  EXPECT_DOUBLE_EQ(stage.last_progress, 1.0);
}

TEST_F(TunerPluginTest, SameSeedSameTrials) {
  nlohmann::json params = BaseParams();
  params["strategy"] = "tpe";
  params["trials"] = 7;
  params["n_startup"] = 3;
  params["target"] = "val_loss";
  FakeStage a, b, c;
  TempDir da, db, dc;
  ASSERT_EQ(Run(params, &a, &da), MLOPS_OK) << a.error;
  ASSERT_EQ(Run(params, &b, &db), MLOPS_OK) << b.error;
  EXPECT_EQ(TrialsFingerprint(a), TrialsFingerprint(b));
  EXPECT_EQ(ReadJson(a, "trials.json")["direction"], "minimize");
  EXPECT_EQ(a.params.at("best_params"), b.params.at("best_params"));
  params["seed"] = 8;
  ASSERT_EQ(Run(params, &c, &dc), MLOPS_OK) << c.error;
  EXPECT_NE(TrialsFingerprint(a), TrialsFingerprint(c));
}

TEST_F(TunerPluginTest, ParallelTrialsWithDropoutAreReproducible) {
  nlohmann::json params = BaseParams();
  params["strategy"] = "random";
  params["trials"] = 4;
  params["parallel"] = 2;
  params["dropout"] = 0.3;
  FakeStage a, b;
  TempDir da, db;
  ::setenv("MLOPS_CPUS", "2", 1);
  ASSERT_EQ(Run(params, &a, &da), MLOPS_OK) << a.error;
  ASSERT_EQ(Run(params, &b, &db), MLOPS_OK) << b.error;
  ::unsetenv("MLOPS_CPUS");
  EXPECT_EQ(TrialsFingerprint(a), TrialsFingerprint(b));
  EXPECT_EQ(a.params.at("best_params"), b.params.at("best_params"));
}

TEST_F(TunerPluginTest, AshaPrunesHopelessTrials) {
  nlohmann::json params = BaseParams();
  params["strategy"] = "grid";
  params["epochs"] = 9;
  params["optimizer"] = "sgd";
  params["momentum"] = 0.0;
  params["space"] = {{"lr", "choice(0.1, 0.00001, 0.05, 0.000001)"}};
  params["pruner"] = {{"type", "asha"}, {"min_resource", 1}, {"reduction_factor", 3}};
  FakeStage stage;
  TempDir dir;
  ASSERT_EQ(Run(params, &stage, &dir), MLOPS_OK) << stage.error;
  const nlohmann::json trials = ReadJson(stage, "trials.json")["trials"];
  ASSERT_EQ(trials.size(), 4u);
  // lr 0.1 runs first and sets the bar; lr 1e-5 and 1e-6 barely learn and
  // stop at the first rung. (lr 0.05 may stop at the rung at epoch 9.)
  EXPECT_EQ(trials[0]["status"], "completed");
  EXPECT_EQ(trials[0]["curve"].size(), 9u);
  for (size_t hopeless : {1u, 3u}) {
    EXPECT_EQ(trials[hopeless]["status"], "pruned");
    EXPECT_EQ(trials[hopeless]["epochs"], 1);
    EXPECT_EQ(trials[hopeless]["curve"].size(), 1u);
  }
  int pruned = 0;
  for (const auto& t : trials) pruned += t["status"] == "pruned" ? 1 : 0;
  EXPECT_EQ(stage.MetricValue("trials_pruned"), pruned);
  EXPECT_EQ(ReadJson(stage, "best_params.json"), nlohmann::json({{"lr", 0.1}}));
}

TEST_F(TunerPluginTest, CancelStopsBetweenEpochs) {
  nlohmann::json params = BaseParams();
  params["epochs"] = 100000;
  FakeStage stage;
  stage.cancel = true;
  TempDir dir;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Run(params, &stage, &dir), MLOPS_CANCELLED) << stage.error;
  // Stopped, not 100,000 epochs run: a bound far from both, for a loaded machine.
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 60.0);
  EXPECT_TRUE(stage.outputs.empty());
}

TEST_F(TunerPluginTest, BadParamsNameTheKey) {
  std::string error;
  nlohmann::json p = BaseParams();
  p["learning_rate"] = 0.1;
  EXPECT_EQ(BadParams(p, &error), MLOPS_BAD_PARAMS);
  EXPECT_NE(error.find("learning_rate"), std::string::npos) << error;

  p = BaseParams();
  p.erase("data");
  EXPECT_EQ(BadParams(p, &error), MLOPS_BAD_PARAMS);
  EXPECT_NE(error.find("'data' is required"), std::string::npos) << error;

  p = BaseParams();
  p["space"]["lr"] = "loguniform(0, 1)";
  EXPECT_EQ(BadParams(p, &error), MLOPS_BAD_PARAMS);
  EXPECT_NE(error.find("space.lr: expected loguniform(low, high) with 0 < low < high, got 'loguniform(0, 1)'"),
            std::string::npos)
      << error;

  p = BaseParams();
  p["space"]["dropout"] = "uniform(0.2, 1.5)";
  EXPECT_EQ(BadParams(p, &error), MLOPS_BAD_PARAMS);
  EXPECT_NE(error.find("space.dropout: 'dropout'"), std::string::npos) << error;

  p = BaseParams();
  p["space"]["units"] = "choice(1, 2)";
  EXPECT_EQ(BadParams(p, &error), MLOPS_BAD_PARAMS);
  EXPECT_NE(error.find("space.units: not a hyperparameter"), std::string::npos) << error;

  p = BaseParams();
  p["lr"] = 0.01;
  EXPECT_EQ(BadParams(p, &error), MLOPS_BAD_PARAMS);
  EXPECT_NE(error.find("'lr' is both fixed"), std::string::npos) << error;

  p = BaseParams();
  p["strategy"] = "annealing";
  EXPECT_EQ(BadParams(p, &error), MLOPS_BAD_PARAMS);
  EXPECT_NE(error.find("'strategy'"), std::string::npos) << error;

  p = BaseParams();
  p["pruner"] = "hyperband";
  EXPECT_EQ(BadParams(p, &error), MLOPS_BAD_PARAMS);
  EXPECT_NE(error.find("pruner"), std::string::npos) << error;

  p = BaseParams();
  p["target"] = "val_r2";
  EXPECT_EQ(BadParams(p, &error), MLOPS_BAD_PARAMS);
  EXPECT_NE(error.find("val_r2 needs a regression data set"), std::string::npos) << error;

  p = BaseParams();
  p["epochs"] = 0;
  EXPECT_EQ(BadParams(p, &error), MLOPS_BAD_PARAMS);
  EXPECT_NE(error.find("'epochs'"), std::string::npos) << error;
}

// The proof the tuner exists for: TPE reaches within 0.5 accuracy points of
// the best of a 27-point grid with 9 trials, same data, split and seed. The
// validation split is 40% (228 rows, 0.44 points a row) so that one row
// is within the margin. Over seeds 1..14 this held for 13 (seed 12: 0.88
// points behind); the test pins seed 1.
TEST_F(TunerPluginTest, TpeNearlyMatchesTheGridWithAThirdOfTheTrials) {
  nlohmann::json params = BaseParams();
  params["split"] = {{"seed", 1}, {"validation", 0.4}, {"test", 0.2}};
  params["seed"] = 1;
  params["epochs"] = 12;
  params["patience"] = 20;
  params["space"] = {{"lr", "loguniform(1e-4, 1e-1)"},
                     {"hidden", "choice(2, 8, 32)"},
                     {"weight_decay", "choice(0, 0.001, 0.1)"}};
  params["strategy"] = "grid";
  FakeStage grid;
  TempDir grid_dir;
  ASSERT_EQ(Run(params, &grid, &grid_dir), MLOPS_OK) << grid.error;
  ASSERT_EQ(ReadJson(grid, "trials.json")["trials"].size(), 27u);

  params["strategy"] = "tpe";
  params["trials"] = 9;
  params["n_startup"] = 4;
  FakeStage tpe;
  TempDir tpe_dir;
  ASSERT_EQ(Run(params, &tpe, &tpe_dir), MLOPS_OK) << tpe.error;
  ASSERT_EQ(ReadJson(tpe, "trials.json")["trials"].size(), 9u);

  const double grid_best = grid.MetricValue("best_val_accuracy");
  const double tpe_best = tpe.MetricValue("best_val_accuracy");
  std::printf("best validation accuracy: grid (27 trials) %.2f%%, tpe (9 trials) %.2f%%\n", 100 * grid_best,
              100 * tpe_best);
  std::printf("grid best %s\ntpe best  %s\n", grid.params.at("best_params").c_str(),
              tpe.params.at("best_params").c_str());
  EXPECT_GE(100 * tpe_best, 100 * grid_best - 0.5);
}

}  // namespace
}  // namespace mlops::ml
