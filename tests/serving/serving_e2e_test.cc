// End to end: the real mlopsd trains the breast-cancer model (a short run
// of the shipped pipeline's stages), an admin promotes it, and the real
// mlops-serve answers both protocols from the state folder. Predictions are
// checked against the evaluator's own inference (plugins/ml/model on the
// data set's rows), float and INT8; every kind of bad request gets its
// protocol's error; a promotion and a rollback under continuous load lose
// no request; a tampered file or a revoked key keeps a version from being
// served, with the reason in its status.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <cmath>
#include <iostream>
#include <thread>

#include "../access/raw_http.h"
#include "daemon_harness.h"
#include "data/csv_loader.h"
#include "data/data_spec.h"
#include "model/model_data.h"
#include "model/model_file.h"

namespace mlops::e2e {
namespace {

using access_test::RawHttp;
using access_test::RawResponse;
using nlohmann::json;

constexpr const char* kData = "/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv";

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The shipped breast-cancer pipeline's stages, short: no tuner, few epochs.
std::string Pipeline(const std::string& name, bool int8, int epochs) {
  std::string y = "version: 1\nname: " + name + R"(
stages:
  - name: train
    uses: trainer
    inputs: [)" + kData + R"(]
    with:
      data: { path: )" + kData + R"(, format: sklearn }
      split: { seed: 7, validation: 0.2, test: 0.2 }
      layers: 1
      hidden: 16
      epochs: )" + std::to_string(epochs) + R"(
      patience: 0
      seed: 7
  - name: evaluate
    uses: evaluator
    needs: [train]
    with: { gates: { accuracy: ">= 0.5" } }
)";
  if (int8) {
    y += R"(  - name: quantize
    uses: quantizer
    needs: [train, evaluate]
    with: { max_accuracy_drop: 1.0 }
  - name: sign
    uses: signer
    needs: [quantize]
    inputs: [model.int8.mlp]
model:
  name: )" + name + R"(
  artifact: quantize.model.int8.mlp
  promote: { staging: on_gates, production: manual }
)";
  } else {
    y += R"(  - name: sign
    uses: signer
    needs: [train, evaluate]
    inputs: [model.mlp]
model:
  name: )" + name + R"(
  artifact: train.model.mlp
  promote: { staging: on_gates, production: manual }
)";
  }
  return y;
}

class ServeProcess {
 public:
  ServeProcess(std::string state, std::string config, std::string log)
      : state_(std::move(state)), config_(std::move(config)), log_(std::move(log)) {}
  ~ServeProcess() { StopProcess(&pid_, SIGKILL, std::chrono::seconds(5)); }
  bool Start() {
    const std::string addr_file = state_ + "/mlops-serve.addr";
    struct stat st;
    // A link (the systemd unit's layout) stays; its target is written anew.
    if (::lstat(addr_file.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      ::unlink((state_ + "/serving/mlops-serve.addr").c_str());
    } else {
      ::unlink(addr_file.c_str());
    }
    pid_ = SpawnLogged({MLOPS_SERVE_BIN, "--state-dir", state_, "--listen", "127.0.0.1:0",
                        "--config", config_},
                       log_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline && ProcessRunning(&pid_)) {
      const std::string addr = ReadText(addr_file);
      if (!addr.empty() && addr.back() == '\n') {
        addr_ = Trim(addr);
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  int Stop() { return StopProcess(&pid_, SIGTERM, std::chrono::seconds(20)); }
  const std::string& addr() const { return addr_; }

 private:
  std::string state_, config_, log_, addr_;
  pid_t pid_ = -1;
};

class ServingE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir(dir_.Sub("pipelines").c_str(), 0755);
    WriteText(dir_.Sub("mlopsd.yaml"), "serving:\n  reload_interval: 100ms\n  max_batch_rows: 64\n"
                                       "  max_body_mb: 1\n");
  }

  void StartDaemon() {
    daemon_ = std::make_unique<Daemon>(dir_.Sub("state"), dir_.Sub("pipelines"));
    ASSERT_TRUE(daemon_->Start()) << ReadText(daemon_->log_path());
  }

  // Runs the pipeline; returns the version it registered.
  int64_t Train(const std::string& name) {
    auto r = daemon_->Ctl({"--json", "trigger", name, "--wait", "--timeout", "600"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err << ReadText(daemon_->log_path());
    auto show = daemon_->Ctl({"--json", "models", "show", name});
    json m = json::parse(show.out, nullptr, false);
    return m.is_object() ? m["versions"][0]["version"].get<int64_t>() : 0;
  }

  void Promote(const std::string& name, int64_t version) {
    auto r = daemon_->Ctl({"models", "promote", name, std::to_string(version), "--to",
                           "production", "--reason", "e2e"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  std::string Token(const std::string& name, const std::string& role) {
    auto r = daemon_->Ctl({"tokens", "create", name, "--role", role});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Trim(r.out);
  }

  void StartServe() {
    serve_ = std::make_unique<ServeProcess>(dir_.Sub("state"), dir_.Sub("mlopsd.yaml"),
                                            dir_.Sub("serve.log"));
    ASSERT_TRUE(serve_->Start()) << ReadText(dir_.Sub("serve.log"));
  }

  RawResponse Call(const std::string& method, const std::string& target, const std::string& body = "",
                   const std::string& token = "") {
    std::map<std::string, std::string> h = {{"Content-Type", "application/json"}};
    const std::string& t = token.empty() ? token_ : token;
    if (t != "-") h["Authorization"] = "Bearer " + t;
    return RawHttp(serve_->addr(), method, target, h, body);
  }

  static json Body(const RawResponse& r) { return json::parse(r.body, nullptr, false); }

  // Waits until the production answers with version `v` (generous deadline).
  bool WaitForVersion(const std::string& model, int64_t v) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      RawResponse r = Call("POST", "/v1/models/" + model + ":predict", Rows(1).dump());
      if (r.status == 200 && r.headers["x-model-version"] == std::to_string(v)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // The first n rows of the data set, as JSON rows of raw features.
  json Rows(size_t n) {
    LoadRows();
    json rows = json::array();
    for (size_t r = 0; r < n; ++r) {
      rows.push_back(std::vector<float>(data_.row(r), data_.row(r) + data_.cols));
    }
    return {{"instances", rows}};
  }

  void LoadRows() {
    if (data_.rows > 0) return;
    ml::DataSpec spec;
    ASSERT_TRUE(ml::ParseDataSpec({{"path", kData}, {"format", "sklearn"}}, "", &spec).ok());
    ASSERT_TRUE(ml::LoadDataset(spec, &data_).ok());
  }

  // What the evaluator computes for the first n rows with the production
  // model file.
  std::vector<double> Expected(const std::string& model, const std::string& file, size_t n) {
    LoadRows();
    ml::MlpModel m;
    Status s = ml::LoadModel(dir_.Sub("state/models/" + model + "/production/" + file), &m);
    EXPECT_TRUE(s.ok()) << s.message();
    std::vector<size_t> rows(n);
    for (size_t i = 0; i < n; ++i) rows[i] = i;
    return ml::PredictRows(m, data_, rows);
  }

  TempDir dir_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<ServeProcess> serve_;
  std::string token_;
  ml::Dataset data_;
};

void ExpectNear(const std::vector<double>& want, const std::vector<double>& got,
                const std::string& body = "") {
  ASSERT_EQ(want.size(), got.size()) << body;
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(want[i], got[i], 1e-6) << i;
}

TEST_F(ServingE2E, BothProtocolsAnswerAsTheEvaluatorAndBadRequestsGetTheProtocolsErrors) {
  WriteText(dir_.Sub("pipelines/bc-float.yaml"), Pipeline("bc-float", false, 8));
  WriteText(dir_.Sub("pipelines/bc-int8.yaml"), Pipeline("bc-int8", true, 8));
  StartDaemon();
  ASSERT_EQ(Train("bc-float"), 1);
  ASSERT_EQ(Train("bc-int8"), 1);
  Promote("bc-float", 1);
  Promote("bc-int8", 1);
  token_ = Token("serve", "predictor");
  const std::string viewer = Token("look", "viewer");
  StartServe();

  constexpr size_t kRows = 12;
  for (const auto& [model, file] : {std::pair{"bc-float", "model.mlp"},
                                    std::pair{"bc-int8", "model.int8.mlp"}}) {
    SCOPED_TRACE(model);
    const std::vector<double> want = Expected(model, file, kRows);
    ASSERT_EQ(want.size(), kRows * 2);
    const json rows = Rows(kRows);
    // TF-Serving, row format.
    RawResponse r = Call("POST", std::string("/v1/models/") + model + ":predict", rows.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers["x-model-version"], "1");
    std::vector<double> got;
    const json row_answer = Body(r);
    for (const auto& p : row_answer["predictions"]) {
      for (double v : p["probabilities"]) got.push_back(v);
      EXPECT_TRUE(p["class"].is_string());
    }
    ExpectNear(want, got, r.body);
    // Columnar, a version named in the path, the signature named.
    json columnar = {{"signature_name", "serving_default"}, {"inputs", rows["instances"]}};
    r = Call("POST", std::string("/v1/models/") + model + "/versions/1:predict", columnar.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    got.clear();
    const json columnar_answer = Body(r);
    for (const auto& p : columnar_answer["outputs"]["probabilities"]) {
      for (double v : p) got.push_back(v);
    }
    ExpectNear(want, got, r.body);
    // OIP v2, FP64 data, id echoed, outputs chosen.
    json flat = json::array();
    for (const auto& row : rows["instances"]) {
      for (const auto& v : row) flat.push_back(v);
    }
    json infer = {{"id", "req-42"},
                  {"parameters", json::object()},
                  {"inputs", {{{"name", "features"}, {"shape", {kRows, 30}},
                               {"datatype", "FP64"}, {"data", flat}}}},
                  {"outputs", {{{"name", "probabilities"}}}}};
    r = Call("POST", std::string("/v2/models/") + model + "/infer", infer.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    json b = Body(r);
    EXPECT_EQ(b["id"], "req-42");
    EXPECT_EQ(b["model_name"], model);
    EXPECT_EQ(b["model_version"], "1");
    ASSERT_EQ(b["outputs"].size(), 1u);
    EXPECT_EQ(b["outputs"][0]["shape"], json::array({kRows, 2}));
    ExpectNear(want, b["outputs"][0]["data"].get<std::vector<double>>());
  }

  // Status, metadata, health, readiness.
  RawResponse r = Call("GET", "/v1/models/bc-float");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["model_version_status"][0],
            json::parse(R"({"version":"1","state":"AVAILABLE","status":{"error_code":"OK","error_message":""}})"));
  r = Call("GET", "/v1/models/bc-float/versions/1/metadata");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["metadata"]["signature_def"]["signature_def"]["serving_default"]["inputs"]
                   ["features"]["tensor_shape"]["dim"][1]["size"], "30");
  r = Call("GET", "/v2/models/bc-int8");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["inputs"][0], json::parse(R"({"name":"features","datatype":"FP32","shape":[-1,30]})"));
  EXPECT_EQ(Call("GET", "/v2/models/bc-int8/versions/1/ready").status, 200);
  EXPECT_EQ(Call("GET", "/v2/health/live", "", "-").status, 200);
  r = Call("GET", "/v2/health/ready", "", "-");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Body(r), json::parse(R"({"ready":true,"live":true})"));

  // Bad requests: the protocol's error shape and a 4xx, never a crash.
  std::string deep = std::string(40, '[') + "1" + std::string(40, ']');
  json wide = Rows(1);
  wide["instances"][0].push_back(1.0);
  json nan_rows = Rows(2);
  nan_rows["instances"][1][2] = "NAN_HERE";
  std::string nan_body = nan_rows.dump();
  nan_body.replace(nan_body.find("\"NAN_HERE\""), 10, "NaN");
  struct Bad {
    const char* what;
    std::string method, target, body;
    int status;
    std::string says;
  } bads[] = {
      {"malformed JSON", "POST", "/v1/models/bc-float:predict", "{\"instances\": [", 400,
       "malformed JSON"},
      {"deep nesting", "POST", "/v1/models/bc-float:predict", "{\"instances\": " + deep + "}", 400,
       "nested deeper"},
      {"wrong shape", "POST", "/v1/models/bc-float:predict", wide.dump(), 400, "list of 30 features"},
      {"too many rows", "POST", "/v1/models/bc-float:predict", Rows(65).dump(), 400, "at most 64"},
      {"NaN feature", "POST", "/v1/models/bc-float:predict", nan_body, 400, "row 1, column 2"},
      {"unknown signature", "POST", "/v1/models/bc-float:predict",
       R"({"signature_name": "other", "instances": [[1]]})", 400, "signature_name"},
      {"unknown model", "POST", "/v1/models/nope:predict", Rows(1).dump(), 404, "Servable not found"},
      {"unknown version", "POST", "/v1/models/bc-float/versions/9:predict", Rows(1).dump(), 404,
       "version 9"},
      {"body over the limit", "POST", "/v1/models/bc-float:predict", std::string(1100000, ' '), 413,
       "larger than"},
      {"OIP datatype", "POST", "/v2/models/bc-float/infer",
       R"({"inputs": [{"name": "features", "shape": [1, 30], "datatype": "BOOL", "data": []}]})", 400,
       "FP32, FP64 or INT64"},
      {"OIP INT64 not integer", "POST", "/v2/models/bc-float/infer",
       json({{"inputs", {{{"name", "features"}, {"shape", {1, 30}}, {"datatype", "INT64"},
                          {"data", Rows(1)["instances"][0]}}}}}).dump(), 400, "not an integer"},
      {"OIP shape", "POST", "/v2/models/bc-float/infer",
       R"({"inputs": [{"name": "features", "shape": [1, 3], "datatype": "FP32", "data": [1,2,3]}]})",
       400, "the model takes [rows, 30]"},
      {"OIP unknown version", "POST", "/v2/models/bc-float/versions/7/infer", "{}", 404, "version 7"},
      {"OIP unknown model", "GET", "/v2/models/nope", "", 404, "not served"},
      {"unknown path", "GET", "/v3/x", "", 404, ""},
  };
  for (const Bad& b : bads) {
    RawResponse resp = Call(b.method, b.target, b.body);
    EXPECT_EQ(resp.status, b.status) << b.what << ": " << resp.body;
    json e = Body(resp);
    ASSERT_TRUE(e.is_object() && e.contains("error") && e["error"].is_string())
        << b.what << ": " << resp.body;
    EXPECT_NE(e["error"].get<std::string>().find(b.says), std::string::npos)
        << b.what << ": " << resp.body;
  }
  // The dialect's tokens are read, then refused naming the row and column.
  json inf_rows = Rows(1);
  inf_rows["instances"][0][0] = "INF_HERE";
  std::string inf_body = inf_rows.dump();
  inf_body.replace(inf_body.find("\"INF_HERE\""), 10, "-Infinity");
  RawResponse r2 = Call("POST", "/v1/models/bc-float:predict", inf_body);
  EXPECT_EQ(r2.status, 400);
  EXPECT_NE(r2.body.find("row 0, column 0"), std::string::npos) << r2.body;
  EXPECT_NE(r2.body.find("infinite"), std::string::npos) << r2.body;
  json b64_rows = Rows(1);
  b64_rows["instances"][0][3] = {{"b64", "aGk="}};
  r = Call("POST", "/v1/models/bc-float:predict", b64_rows.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("row 0, column 3"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("binary value"), std::string::npos) << r.body;

  // Access: no token 401, a viewer 403 (not in predict_roles), a predictor
  // token is refused by mlopsd's own API.
  r = Call("POST", "/v1/models/bc-float:predict", Rows(1).dump(), "-");
  EXPECT_EQ(r.status, 401);
  EXPECT_TRUE(Body(r).contains("error")) << r.body;
  r = Call("POST", "/v1/models/bc-float:predict", Rows(1).dump(), viewer);
  EXPECT_EQ(r.status, 403) << r.body;
  auto api = daemon_->CtlWithToken(token_, {"models", "list"});
  EXPECT_NE(api.exit_code, 0) << api.out;
  // A token revoked in mlopsd is refused here within the token cache's 1 s
  // (docs/security.md); the deadline is generous for a loaded machine.
  const std::string revoked = Token("serve-revoked", "predictor");
  r = Call("POST", "/v1/models/bc-float:predict", Rows(1).dump(), revoked);
  EXPECT_EQ(r.status, 200) << r.body;
  auto listed = daemon_->Ctl({"--json", "tokens", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  int64_t revoked_id = 0;
  const json listed_tokens = json::parse(listed.out)["tokens"];
  for (const auto& t : listed_tokens) {
    if (t["name"] == "serve-revoked") revoked_id = t["id"];
  }
  ASSERT_GT(revoked_id, 0) << listed.out;
  ASSERT_EQ(daemon_->Ctl({"tokens", "revoke", std::to_string(revoked_id)}).exit_code, 0);
  const auto revoke_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  do {
    r = Call("POST", "/v1/models/bc-float:predict", Rows(1).dump(), revoked);
    if (r.status == 401) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < revoke_deadline);
  EXPECT_EQ(r.status, 401) << r.body;

  // Metrics pass promtool; stats.json and the address file are there.
  r = Call("GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("mlops_serve_requests_total{"), std::string::npos);
  EXPECT_NE(r.body.find("mlops_serve_model_version_info{"), std::string::npos);
  WriteText(dir_.Sub("metrics.txt"), r.body);
  auto check = RunCommand({"/bin/sh", "-c", "promtool check metrics < " + dir_.Sub("metrics.txt")});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  json stats;
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stats = json::parse(ReadText(dir_.Sub("state/serving/stats.json")), nullptr, false);
  } while (std::chrono::steady_clock::now() < deadline &&
           !(stats.is_object() && stats["models"]["bc-float"]["versions"]["1"]["requests"] > 10));
  ASSERT_TRUE(stats.is_object());
  const json& v1 = stats["models"]["bc-float"]["versions"]["1"];
  EXPECT_EQ(v1["state"], "AVAILABLE");
  EXPECT_GT(v1["client_errors"].get<int>(), 5);
  EXPECT_EQ(v1["latency_counts"].back(), v1["requests"]);
  EXPECT_EQ(serve_->Stop(), 0);

  // Served requests went to the prediction log (on by default), which
  // holds rows and outputs, never the token.
  std::string logged;
  for (const auto& e : std::filesystem::directory_iterator(dir_.Sub("state/serving/predictions/bc-float"))) {
    logged += ReadText(e.path().string());
  }
  EXPECT_NE(logged.find("\"protocol\":\"oip-v2\""), std::string::npos) << logged.substr(0, 400);
  EXPECT_NE(logged.find("req-42"), std::string::npos);
  EXPECT_EQ(logged.find(token_), std::string::npos);
}

TEST_F(ServingE2E, HotSwapUnderLoadLosesNothingAndUnverifiedVersionsAreNotServed) {
  WriteText(dir_.Sub("pipelines/bc-float.yaml"), Pipeline("bc-float", false, 6));
  StartDaemon();
  ASSERT_EQ(Train("bc-float"), 1);
  WriteText(dir_.Sub("pipelines/bc-float.yaml"), Pipeline("bc-float", false, 7));
  ASSERT_EQ(daemon_->Ctl({"pipeline", "reload"}).exit_code, 0);
  ASSERT_EQ(Train("bc-float"), 2);
  Promote("bc-float", 1);
  token_ = Token("serve", "predictor");
  StartServe();
  ASSERT_TRUE(WaitForVersion("bc-float", 1));

  // Continuous load from three clients across a promotion and a rollback.
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::string last_failure;
  std::mutex mu;
  const std::string body = Rows(4).dump();
  std::vector<std::thread> clients;
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back([&] {
      while (!stop.load()) {
        RawResponse r = Call("POST", "/v1/models/bc-float:predict", body);
        if (r.status == 200) {
          ok.fetch_add(1);
        } else {
          failed.fetch_add(1);
          std::lock_guard<std::mutex> lock(mu);
          last_failure = std::to_string(r.status) + " " + r.body;
        }
      }
    });
  }
  // How long after mlctl returns the new version answers: printed for the
  // record (docs/serving.md), bounded only by WaitForVersion's deadline.
  auto swap_ms = [](std::chrono::steady_clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 since).count();
  };
  Promote("bc-float", 2);
  auto since = std::chrono::steady_clock::now();
  EXPECT_TRUE(WaitForVersion("bc-float", 2));
  std::cout << "promotion served after " << swap_ms(since) << " ms\n";
  auto rb = daemon_->Ctl({"models", "rollback", "bc-float", "1", "--reason", "e2e"});
  EXPECT_EQ(rb.exit_code, 0) << rb.err;
  since = std::chrono::steady_clock::now();
  EXPECT_TRUE(WaitForVersion("bc-float", 1));
  std::cout << "rollback served after " << swap_ms(since) << " ms\n";
  stop.store(true);
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed.load(), 0) << last_failure;
  EXPECT_GT(ok.load(), 20);

  // A published file changed behind the registry's back: a fresh
  // mlops-serve refuses to load it and says why. This one starts with the
  // systemd unit's layout: the address file is a link into serving/.
  ASSERT_EQ(serve_->Stop(), 0);
  const std::string addr_link = dir_.Sub("state/mlops-serve.addr");
  ::unlink(addr_link.c_str());
  ASSERT_EQ(::symlink("serving/mlops-serve.addr", addr_link.c_str()), 0);
  const std::string published = dir_.Sub("state/models/bc-float/production/model.mlp");
  const std::string original = ReadText(published);
  ::chmod(published.c_str(), 0644);
  WriteText(published, original + " ");
  StartServe();
  struct stat link_st;
  ASSERT_EQ(::lstat(addr_link.c_str(), &link_st), 0);
  EXPECT_TRUE(S_ISLNK(link_st.st_mode));
  EXPECT_EQ(Trim(ReadText(dir_.Sub("state/serving/mlops-serve.addr"))), serve_->addr());
  RawResponse r = Call("GET", "/v1/models/bc-float");
  ASSERT_EQ(r.status, 200) << r.body;
  json status = Body(r)["model_version_status"][0];
  EXPECT_EQ(status["state"], "END") << r.body;
  EXPECT_NE(status["status"]["error_message"].get<std::string>().find("was modified"),
            std::string::npos) << r.body;
  r = Call("POST", "/v1/models/bc-float:predict", Rows(1).dump());
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(Call("GET", "/v2/health/ready", "", "-").status, 400);
  EXPECT_NE(ReadText(dir_.Sub("serve.log")).find("not loaded"), std::string::npos);

  // Restored, it serves again; then the signing key is revoked and the
  // version is unloaded, the reason in its status.
  WriteText(published, original);
  EXPECT_TRUE(WaitForVersion("bc-float", 1));
  auto keys = daemon_->Ctl({"--json", "keys", "list"});
  json key_list = json::parse(keys.out, nullptr, false);
  ASSERT_TRUE(key_list.is_object() || key_list.is_array()) << keys.out;
  const json& first = key_list.is_array() ? key_list[0] : key_list["keys"][0];
  auto revoke = daemon_->Ctl({"keys", "revoke", first["key_id"].get<std::string>()});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string message;
  while (std::chrono::steady_clock::now() < deadline && message.find("revoked") == std::string::npos) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    message = Body(Call("GET", "/v1/models/bc-float"))["model_version_status"][0]["status"]
                  ["error_message"].get<std::string>();
  }
  EXPECT_NE(message.find("revoked"), std::string::npos) << message;
  EXPECT_EQ(Call("POST", "/v1/models/bc-float:predict", Rows(1).dump()).status, 503);
}

TEST_F(ServingE2E, TlsAsTheDaemonDoesItAndTheStateFolderStaysUntouched) {
  auto r = MakeLoopbackCertificate(dir_, "serve-test");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  WriteText(dir_.Sub("mlopsd.yaml"), "tls: { cert: " + dir_.Sub("cert.pem") + ", key: " +
                                         dir_.Sub("key.pem") + " }\nserving: {}\n");
  StartDaemon();
  ASSERT_EQ(daemon_->Stop(), 0);  // the registry exists; serving needs no daemon
  const auto before = RunCommand({"/bin/sh", "-c", "cd " + dir_.Sub("state") +
                                  " && find . -path ./serving -prune -o -type f -newer registry.db ! -name "
                                  "'registry.db-[sw][ha][ml]' -print | sort; sha256sum registry.db"});
  StartServe();
  const std::string https = "https://" + serve_->addr();
  auto curl = RunCommand({"/usr/bin/curl", "-sS", "--cacert", dir_.Sub("cert.pem"),
                          https + "/v2/health/live"});
  EXPECT_EQ(curl.exit_code, 0) << curl.err;
  EXPECT_EQ(json::parse(curl.out, nullptr, false), json::parse(R"({"live":true})")) << curl.out;
  auto plain = RunCommand({"/usr/bin/curl", "-sS", "--max-time", "5",
                           "http://" + serve_->addr() + "/v2/health/live"});
  EXPECT_NE(plain.exit_code, 0) << plain.out;
  EXPECT_TRUE(std::filesystem::exists(dir_.Sub("state/serving/tls/server.pem")));
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("state/tls/server.pem")));
  EXPECT_EQ(serve_->Stop(), 0);
  // Outside serving/ and the address file nothing was written, the
  // registry included.
  ::unlink(dir_.Sub("state/mlops-serve.addr").c_str());
  const auto after = RunCommand({"/bin/sh", "-c", "cd " + dir_.Sub("state") +
                                 " && find . -path ./serving -prune -o -type f -newer registry.db ! -name "
                                 "'registry.db-[sw][ha][ml]' -print | sort; sha256sum registry.db"});
  EXPECT_EQ(after.out, before.out);
  // SQLite's read-only connection may make the WAL index files of a WAL
  // database in a writable folder; it writes no frame into the WAL.
  std::error_code ec;
  const auto wal = std::filesystem::file_size(dir_.Sub("state/registry.db-wal"), ec);
  EXPECT_TRUE(ec || wal == 0) << wal;
}

}  // namespace
}  // namespace mlops::e2e
