// End to end: the ML plugins as stages of the real mlopsd. The iris example
// pipeline (tuner -> trainer -> evaluator -> quantizer) runs with lineage and
// metrics recorded; a trainer attempt killed by its timeout is retried and
// the retry resumes from the checkpoint of the killed one.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <algorithm>

#include "daemon_harness.h"

namespace mlops::e2e {
namespace {

using nlohmann::json;

class MlE2E : public ::testing::Test {
 protected:
  void SetUp() override { ::mkdir(dir_.Sub("pipelines").c_str(), 0755); }
  std::unique_ptr<Daemon> StartDaemon() {
    auto d = std::make_unique<Daemon>(dir_.Sub("state"), dir_.Sub("pipelines"));
    EXPECT_TRUE(d->Start()) << ReadText(d->log_path());
    return d;
  }
  json ShowRun(const Daemon& d, int64_t id) {
    return json::parse(d.Ctl({"--json", "runs", "show", std::to_string(id)}).out);
  }
  TempDir dir_;
};

const json* AttemptOf(const json& run, const std::string& stage, int attempt = 1) {
  for (const auto& a : run["stages"]) {
    if (a["stage"] == stage && a["attempt"] == attempt) return &a;
  }
  return nullptr;
}

double MetricOf(const json& attempt, const std::string& key) {
  for (const auto& m : attempt["metrics"]) {
    if (m["key"] == key) return m["value"].get<double>();
  }
  return -1e300;
}

std::string ProducedSha(const json& attempt, const std::string& name) {
  for (const auto& e : attempt["artifacts"]) {
    if (e["kind"] == "produced" && e["name"] == name) return e["artifact"].get<std::string>();
  }
  return "";
}

TEST_F(MlE2E, IrisExamplePipelineTrainsTunesEvaluatesAndQuantizes) {
  WriteText(dir_.Sub("pipelines/iris-mlp.yaml"),
            ReadText(std::string(MLOPS_SOURCE_DIR) + "/pipelines/iris-mlp/pipeline.yaml"));
  // No configuration: the pipeline's `sign` stage signs with the key the
  // daemon made for itself at its first start.
  auto d = std::make_unique<Daemon>(dir_.Sub("state"), dir_.Sub("pipelines"));
  ASSERT_TRUE(d->Start()) << ReadText(d->log_path());
  EXPECT_NE(ReadText(d->log_path()).find("made a signing key"), std::string::npos);
  auto r = d->Ctl({"--json", "trigger", "iris-mlp", "--wait", "--timeout", "600"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << ReadText(d->log_path());
  const int64_t id = json::parse(r.out)["id"];
  json run = ShowRun(*d, id);
  for (const char* stage : {"tune", "train", "evaluate", "quantize", "sign"}) {
    const json* a = AttemptOf(run, stage);
    ASSERT_NE(a, nullptr) << stage;
    EXPECT_EQ((*a)["status"], "succeeded") << stage << ": " << a->dump();
  }
  const json& tune = *AttemptOf(run, "tune");
  const json& train = *AttemptOf(run, "train");
  const json& evaluate = *AttemptOf(run, "evaluate");
  const json& quantize = *AttemptOf(run, "quantize");
  EXPECT_GE(MetricOf(tune, "best_val_accuracy"), 0.8);
  EXPECT_GE(MetricOf(train, "best_val_accuracy"), 0.8);
  EXPECT_GE(MetricOf(evaluate, "accuracy"), 0.9);
  EXPECT_GE(MetricOf(evaluate, "f1_macro"), 0.9);
  EXPECT_LE(MetricOf(quantize, "size_ratio"), 0.30);
  EXPECT_FALSE(ProducedSha(tune, "best_params.json").empty());
  EXPECT_FALSE(ProducedSha(evaluate, "evaluation.junit.xml").empty());

  // Lineage: the quantized model goes back to the float model, the tuned
  // params and the data file.
  const std::string model = ProducedSha(quantize, "model.int8.mlp");
  ASSERT_FALSE(model.empty()) << quantize.dump();
  auto lineage = d->Ctl({"--json", "lineage", model});
  ASSERT_EQ(lineage.exit_code, 0) << lineage.err;
  const std::string text = lineage.out;
  EXPECT_NE(text.find(ProducedSha(train, "model.mlp")), std::string::npos) << text;
  EXPECT_NE(text.find(ProducedSha(tune, "best_params.json")), std::string::npos);
  EXPECT_NE(text.find("iris.csv"), std::string::npos);

  // The model registry: version 1 is the quantized model, signed, gated,
  // staged by the policy, and verifies.
  auto model_json = d->Ctl({"--json", "models", "show", "iris-mlp"});
  ASSERT_EQ(model_json.exit_code, 0) << model_json.err << ReadText(d->log_path());
  json registered = json::parse(model_json.out)["versions"][0];
  EXPECT_EQ(registered["version"], 1);
  EXPECT_EQ(registered["artifact_sha256"], model);
  EXPECT_EQ(registered["stage"], "staging") << registered.dump();
  EXPECT_EQ(d->Ctl({"models", "verify", "iris-mlp", "1"}).exit_code, 0);

  // The same commit and data again: every stage is up to date.
  auto again = d->Ctl({"--json", "trigger", "iris-mlp", "--wait"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["results_run_id"], id) << again.out;
}

TEST_F(MlE2E, TrainerAttemptKilledByItsTimeoutResumesFromItsCheckpoint) {
  WriteText(dir_.Sub("pipelines/slow.yaml"), R"(version: 1
name: slow-train
stages:
  - name: train
    uses: trainer
    inputs: [/usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv]
    with:
      data: { path: /usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv, format: sklearn }
      epochs: 100000
      patience: 0
      hidden: 256
    timeout: 4s
    retries: 1
    retry_backoff: 100ms
)");
  auto d = StartDaemon();
  auto r = d->Ctl({"--json", "trigger", "slow-train", "--wait", "--timeout", "120"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;  // both attempts time out
  json run = ShowRun(*d, json::parse(r.out)["id"]);
  const json* first = AttemptOf(run, "train", 1);
  const json* second = AttemptOf(run, "train", 2);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr) << run.dump();
  int64_t first_last = 0, second_first = INT64_MAX;
  for (const auto& m : (*first)["metrics"]) {
    if (m["key"] == "val_loss") first_last = std::max<int64_t>(first_last, m["step"]);
  }
  for (const auto& m : (*second)["metrics"]) {
    if (m["key"] == "val_loss") second_first = std::min<int64_t>(second_first, m["step"]);
  }
  ASSERT_GT(first_last, 0) << "the first attempt finished no epoch in 4 s";
  // The retry starts right after the last checkpoint of the first attempt
  // (which may be one epoch past its last reported metric).
  EXPECT_GE(second_first, first_last + 1);
  EXPECT_LE(second_first, first_last + 2);
  auto logs = d->Ctl({"logs", std::to_string(run["id"].get<int64_t>()), "train"});
  EXPECT_NE(logs.out.find("resuming from the checkpoint of epoch"), std::string::npos) << logs.out;
}

}  // namespace
}  // namespace mlops::e2e
