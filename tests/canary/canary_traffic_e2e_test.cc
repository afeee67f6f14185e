// End to end with real processes and real traffic: mlopsd (supervising
// mlops-serve) trains two versions of a short breast-cancer pipeline that
// has a canary policy; the second becomes the canary by itself, requests
// flow through mlops-serve, and the controller decides from mlops-serve's
// stats.json:
// - a deliberately worse version (1 epoch at a tiny learning rate, which
//   disagrees with production on the same rows) is rolled back within two
//   windows: alias gone, audit entry with the figures, the rollback metric;
// - an equally good version holds every step and is promoted (policy auto),
//   and then, under policy manual, one is marked ready.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "../access/raw_http.h"
#include "../e2e/daemon_harness.h"
#include "mlops/common/files.h"

namespace mlops::e2e {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kData = "/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv";

std::string Pipeline(int epochs, double lr, const std::string& promote) {
  const std::string data = kData;
  return "version: 1\nname: bc\nstages:\n  - name: train\n    uses: trainer\n    inputs: [" +
         data + "]\n    with: {data: {path: " + data +
         ", format: sklearn}, split: {seed: 7, validation: 0.2, test: 0.2}, layers: 1, "
         "hidden: 16, patience: 0, seed: 7, epochs: " + std::to_string(epochs) +
         ", lr: " + std::to_string(lr) + "}\n" + R"(  - name: evaluate
    uses: evaluator
    needs: [train]
    with: { gates: { accuracy: ">= 0.0" } }
  - name: sign
    uses: signer
    needs: [train, evaluate]
    inputs: [model.mlp]
model:
  name: bc
  artifact: train.model.mlp
  promote:
    staging: on_gates
    production: manual
    canary:
      steps: [50, 100]
      window: 2s
      min_requests: 10
      promote: )" + promote + R"(
      limits: { error_rate_increase: 0.5, p99_latency_ratio: 1000, shadow_disagreement: 0.05 }
)";
}

// The first `n` rows of the data set, 30 features each.
std::vector<std::vector<double>> Rows(int n) {
  std::ifstream in(kData);
  std::string line;
  std::getline(in, line);  // "569,30,malignant,benign"
  std::vector<std::vector<double>> rows;
  while (static_cast<int>(rows.size()) < n && std::getline(in, line)) {
    std::stringstream cells(line);
    std::vector<double> row;
    for (std::string cell; std::getline(cells, cell, ',');) row.push_back(std::stod(cell));
    row.resize(30);
    rows.push_back(row);
  }
  return rows;
}

template <typename F>
bool WaitFor(F cond, milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return cond();
}

class CanaryTrafficE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir(dir_.Sub("pipelines").c_str(), 0755);
    auto gen = RunCommand({MlctlPath(), "keys", "generate", "--out-dir", dir_.path(), "--name", "sk"});
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    WriteText(dir_.Sub("mlopsd.yaml"),
              "signing_key: " + dir_.Sub("sk.key") +
                  "\nserving:\n  listen: 127.0.0.1:0\n  anonymous_predict: true\n"
                  "  reload_interval: 100ms\n");
    rows_ = Rows(40);
  }
  void TearDown() override {
    StopTraffic();
    if (d_) d_->Stop(SIGTERM);
    std::string pid;
    if (ReadFile(dir_.Sub("state/serving/mlops-serve.pid"), &pid).ok()) {
      ::kill(static_cast<pid_t>(std::atoi(pid.c_str())), SIGKILL);
    }
  }

  void StartDaemon(const std::string& pipeline) {
    WriteText(dir_.Sub("pipelines/bc.yaml"), pipeline);
    d_ = std::make_unique<Daemon>(dir_.Sub("state"), dir_.Sub("pipelines"), std::vector<std::string>{},
                                  std::vector<std::string>{"--config", dir_.Sub("mlopsd.yaml")});
    ASSERT_TRUE(d_->Start()) << ReadText(d_->log_path());
  }
  // --force: a pipeline unchanged since the last run trains again.
  void Train(const std::string& pipeline) {
    WriteText(dir_.Sub("pipelines/bc.yaml"), pipeline);
    ASSERT_EQ(d_->Ctl({"pipeline", "reload"}).exit_code, 0);
    auto r = d_->Ctl({"trigger", "bc", "--wait", "--force"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err << ReadText(d_->log_path());
  }
  json Status() {
    auto r = d_->Ctl({"--json", "serve", "status"});
    return json::parse(r.out, nullptr, false);
  }
  json CanaryOf() {
    const json s = Status();
    for (const json& m : s.value("models", json::array())) {
      if (m.value("name", "") == "bc") return m.value("canary", json());
    }
    return json();
  }
  int64_t Production() {
    const json s = Status();
    for (const json& m : s.value("models", json::array())) {
      if (m.value("name", "") == "bc") return m.value("production_version", int64_t{0});
    }
    return 0;
  }
  std::vector<json> Audit(const std::string& action) {
    auto r = d_->Ctl({"--json", "audit", "--model", "bc"});
    const json all = json::parse(r.out, nullptr, false);
    std::vector<json> out;
    for (const json& e : all.value("entries", json::array())) {
      if (e.value("action", "") == action) out.push_back(e);
    }
    return out;
  }

  // Requests through mlops-serve from many clients (request keys), five
  // rows each, until StopTraffic.
  void StartTraffic() {
    traffic_ = std::thread([this] {
      int64_t n = 0;
      while (!stop_) {
        std::string addr;
        (void)ReadFile(dir_.Sub("state/mlops-serve.addr"), &addr);
        while (!addr.empty() && addr.back() == '\n') addr.pop_back();
        if (addr.empty()) {
          std::this_thread::sleep_for(milliseconds(50));
          continue;
        }
        json data = json::array();
        for (int i = 0; i < 5; ++i) {
          for (double x : rows_[(n * 5 + i) % rows_.size()]) data.push_back(x);
        }
        json body = {{"inputs", {{{"name", "features"}, {"shape", {5, 30}},
                                  {"datatype", "FP64"}, {"data", data}}}}};
        auto r = access_test::RawHttp(addr, "POST", "/v2/models/bc/infer",
                                      {{"Content-Type", "application/json"},
                                       {"X-Request-Key", "client-" + std::to_string(n)}},
                                      body.dump());
        if (r.status == 200) ++answered_;
        ++n;
        std::this_thread::sleep_for(milliseconds(5));
      }
    });
  }
  void StopTraffic() {
    stop_ = true;
    if (traffic_.joinable()) traffic_.join();
  }

  TempDir dir_;
  std::unique_ptr<Daemon> d_;
  std::vector<std::vector<double>> rows_;
  std::thread traffic_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> answered_{0};
};

TEST_F(CanaryTrafficE2E, WorseVersionIsRolledBackWithinTwoWindows) {
  StartDaemon(Pipeline(30, 0.01, "auto"));
  Train(Pipeline(30, 0.01, "auto"));
  ASSERT_EQ(d_->Ctl({"models", "promote", "bc", "1", "--to", "production", "--reason", "t"}).exit_code, 0);
  StartTraffic();
  ASSERT_TRUE(WaitFor([&] { return answered_ > 20; }, seconds(60))) << ReadText(d_->log_path());
  Train(Pipeline(1, 1e-6, "auto"));  // version 2: barely trained
  const json started = CanaryOf();
  ASSERT_TRUE(started.is_object()) << Status().dump(2) << ReadText(d_->log_path());
  EXPECT_EQ(started["version"], 2);
  EXPECT_EQ(started["share_percent"], 50);
  ASSERT_TRUE(WaitFor([&] { return !Audit("canary.rollback").empty(); }, seconds(90)))
      << Status().dump(2) << ReadText(d_->log_path());
  const json rollback = Audit("canary.rollback")[0];
  const json start = Audit("canary.start").at(0);
  std::cout << "canary started " << start["at_ms"] << " ms, rolled back "
            << rollback["at_ms"].get<int64_t>() - start["at_ms"].get<int64_t>()
            << " ms later (window 2000 ms): " << rollback["reason"].get<std::string>() << "\n";
  EXPECT_EQ(rollback["version"], 2);
  EXPECT_NE(rollback["reason"].get<std::string>().find("shadow disagreement"), std::string::npos)
      << rollback.dump(2);
  EXPECT_GT(rollback["detail"]["canary"]["shadow_compared"].get<int64_t>(), 0) << rollback.dump(2);
  EXPECT_TRUE(CanaryOf().is_null());
  EXPECT_EQ(Production(), 1);
  auto r = d_->Ctl({"--json", "models", "show", "bc"});
  const json model = json::parse(r.out, nullptr, false);
  for (const json& v : model.value("versions", json::array())) {
    EXPECT_TRUE(v["aliases"].empty()) << v.dump();
  }
  auto metrics = RunCommand({"/usr/bin/curl", "-s", "-H", "Authorization: Bearer " + d_->admin_token(),
                             d_->url() + "/metrics"});
  EXPECT_NE(metrics.out.find("mlopsd_canary_rollbacks_total{model=\"bc\"} 1"), std::string::npos)
      << metrics.out.substr(0, 2000);
  EXPECT_NE(ReadText(d_->log_path()).find("rolled back"), std::string::npos);
}

TEST_F(CanaryTrafficE2E, GoodVersionIsPromotedWithAutoAndMarkedReadyWithManual) {
  StartDaemon(Pipeline(30, 0.01, "auto"));
  Train(Pipeline(30, 0.01, "auto"));
  ASSERT_EQ(d_->Ctl({"models", "promote", "bc", "1", "--to", "production", "--reason", "t"}).exit_code, 0);
  StartTraffic();
  ASSERT_TRUE(WaitFor([&] { return answered_ > 20; }, seconds(60))) << ReadText(d_->log_path());
  Train(Pipeline(30, 0.01, "auto"));  // the same training: the same answers
  ASSERT_TRUE(CanaryOf().is_object()) << Status().dump(2);
  ASSERT_TRUE(WaitFor([&] { return Production() == 2; }, seconds(90)))
      << Status().dump(2) << ReadText(d_->log_path());
  EXPECT_EQ(Audit("canary.share").size(), 1u);  // 50% -> 100%
  EXPECT_EQ(Audit("canary.promote").size(), 1u);
  EXPECT_TRUE(CanaryOf().is_null());

  Train(Pipeline(30, 0.01, "manual"));  // version 3, under policy manual
  ASSERT_TRUE(WaitFor([&] { return CanaryOf().is_object() && CanaryOf()["state"] == "ready"; },
                      seconds(90)))
      << Status().dump(2) << ReadText(d_->log_path());
  EXPECT_EQ(CanaryOf()["version"], 3);
  EXPECT_EQ(Production(), 2);
  EXPECT_EQ(Audit("canary.ready").size(), 1u);
}

}  // namespace
}  // namespace mlops::e2e
