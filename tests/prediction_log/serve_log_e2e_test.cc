// `mlctl serve log` end to end: a log written by the prediction log library
// into a state folder, read back through the real mlopsd and the real mlctl,
// with the route's role rule (operator) and its errors.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <ctime>

#include <nlohmann/json.hpp>

#include "../e2e/daemon_harness.h"
#include "log/prediction_log.h"
#include "log_fixture.h"

namespace mlops::serving {
namespace {

using e2e::CommandResult;
using e2e::Daemon;
using e2e::TempDir;
using nlohmann::json;

// The token `mlctl tokens create` prints: its first line.
std::string FirstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

class ServeLogE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir(dir_.Sub("pipelines").c_str(), 0755);
    ::mkdir(dir_.Sub("state").c_str(), 0700);
    // Two old records (3 h ago) and three recent ones, written by the library.
    PredictionLogOptions o;
    o.max_rows_per_second = 0;
    o.max_age = std::chrono::milliseconds(0);
    PredictionLog log(dir_.Sub("state/serving/predictions"), o);
    ASSERT_TRUE(log.Start().ok());
    const int64_t now = SystemClock().WallMillis();
    now_ms_ = now;
    for (int i = 0; i < 2; ++i) log.Offer(testing::IrisRecord(now - 3 * 3'600'000 + i, 3, 1, 10.0f + i));
    for (int i = 0; i < 3; ++i) {
      PredictionRecord r = testing::IrisRecord(now - 60'000 + i, 4, 2, 20.0f + i);
      r.request_id = "req-" + std::to_string(i);
      log.Offer(std::move(r));
    }
    log.Stop();
    daemon_ = std::make_unique<Daemon>(dir_.Sub("state"), dir_.Sub("pipelines"));
    ASSERT_TRUE(daemon_->Start());
  }

  TempDir dir_;
  int64_t now_ms_ = 0;
  std::unique_ptr<Daemon> daemon_;
};

TEST_F(ServeLogE2E, SinceLimitAndJsonThroughTheDaemon) {
  CommandResult r = daemon_->Ctl({"serve", "log", "iris", "--since", "1h", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  ASSERT_EQ(j["records"].size(), 3u) << r.out;
  EXPECT_EQ(j["records"][0]["id"], "req-0");
  EXPECT_EQ(j["records"][0]["version"], 4);
  EXPECT_EQ(j["records"][0]["inputs"][0], (json{20.0, 3.5, 1.4, 0.2})) << "floats printed as logged";
  EXPECT_EQ(j["records"][0]["outputs"][1]["class"], "setosa");
  EXPECT_EQ(j["schemas"]["4"]["feature_names"][3], "petal_width");
  EXPECT_TRUE(j["next_cursor"].is_null());

  r = daemon_->Ctl({"serve", "log", "iris", "--since", "4h", "--limit", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = json::parse(r.out);
  ASSERT_EQ(j["records"].size(), 2u);
  EXPECT_EQ(j["records"][0]["version"], 3) << "oldest first";
  ASSERT_TRUE(j["next_cursor"].is_string());
  EXPECT_NE(r.err.find("--after"), std::string::npos) << r.err;
  r = daemon_->Ctl({"serve", "log", "iris", "--since", "4h", "--after",
                    j["next_cursor"].get<std::string>(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["records"].size(), 3u);

  r = daemon_->Ctl({"serve", "log", "iris", "--since", std::to_string(now_ms_ - 4 * 3'600'000),
                    "--version", "3", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["records"].size(), 2u);

  // A UTC time two hours back: the three recent records only.
  const std::time_t two_hours_ago = static_cast<std::time_t>(now_ms_ / 1000 - 2 * 3600);
  char utc[32];
  std::strftime(utc, sizeof utc, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&two_hours_ago));
  r = daemon_->Ctl({"serve", "log", "iris", "--since", utc, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = json::parse(r.out);
  EXPECT_EQ(j["records"].size(), 3u) << utc;
  EXPECT_EQ(j["since_ms"], int64_t{two_hours_ago} * 1000);
}

TEST_F(ServeLogE2E, TableAndErrors) {
  CommandResult r = daemon_->Ctl({"serve", "log", "iris"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ANSWER"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("req-2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("setosa (0.900)"), std::string::npos) << r.out;

  r = daemon_->Ctl({"serve", "log", "unknown-model"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("no predictions"), std::string::npos) << r.out;

  r = daemon_->Ctl({"serve", "log", "iris", "--since", "yesterday"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("expected a duration"), std::string::npos) << r.err;
}

TEST_F(ServeLogE2E, ViewersMayNotReadUsersInputs) {
  CommandResult t = daemon_->Ctl({"tokens", "create", "watcher", "--role", "viewer"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  CommandResult r = daemon_->CtlWithToken(FirstLine(t.out), {"serve", "log", "iris"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("permission denied"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("req-"), std::string::npos);

  t = daemon_->Ctl({"tokens", "create", "oncall", "--role", "operator"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  r = daemon_->CtlWithToken(FirstLine(t.out), {"serve", "log", "iris", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["records"].size(), 3u);
}

}  // namespace
}  // namespace mlops::serving
