#include "serving/shared/serve_stats.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace mlops::serving {
namespace {

ServeStats Sample() {
  ServeStats s;
  s.pid = 42;
  s.started_ms = 1000;
  s.written_ms = 2000;
  s.listen = "127.0.0.1:8766";
  ModelStats& m = s.models["iris-mlp"];
  m.production = 7;
  m.canary = 8;
  m.canary_share_percent = 10;
  VersionStats& v = m.versions[7];
  v.state = "AVAILABLE";
  v.artifact_sha256 = "ab";
  v.key_id = "cd";
  v.requests = 12;
  v.errors = 1;
  v.client_errors = 3;
  v.latency_le_ms = LatencyBoundsMs();
  v.latency_counts.assign(v.latency_le_ms.size() + 1, 12);
  v.shadow_compared = 5;
  v.shadow_disagreed = 2;
  m.versions[8].state = "FAILED";
  m.versions[8].reason = "signature by revoked key ab12";
  return s;
}

TEST(ServeStatsTest, RoundTripsThroughTheFile) {
  const std::string dir = ::testing::TempDir() + "/serve_stats_rt";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(WriteServeStats(dir, Sample()).ok());
  ASSERT_TRUE(std::filesystem::exists(dir + "/serving/stats.json"));
  ServeStats back;
  Status s = ReadServeStats(dir, &back);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(ServeStatsToJson(back), ServeStatsToJson(Sample()));
  EXPECT_EQ(back.models["iris-mlp"].versions[8].reason, "signature by revoked key ab12");
  EXPECT_EQ(back.models["iris-mlp"].versions[7].shadow_disagreed, 2);
}

TEST(ServeStatsTest, MissingFileIsNotFound) {
  ServeStats s;
  EXPECT_TRUE(ReadServeStats(::testing::TempDir() + "/no_such_state", &s).IsNotFound());
}

TEST(ServeStatsTest, RefusesOtherFormatsAndBadFields) {
  ServeStats s;
  EXPECT_FALSE(ParseServeStats("[]", &s).ok());
  EXPECT_FALSE(ParseServeStats("{\"format\": 2}", &s).ok());
  Status bad = ParseServeStats(
      R"({"format":1,"models":{"m":{"versions":{"3":{"requests":"many"}}}}})", &s);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("models.m.versions.3.requests"), std::string::npos) << bad.message();
  EXPECT_FALSE(ParseServeStats(R"({"format":1,"models":{"m":{"versions":{"x":{}}}}})", &s).ok());
  EXPECT_FALSE(ParseServeStats(
      R"({"format":1,"models":{"m":{"versions":{"1":{"latency_le_ms":[1],"latency_counts":[1]}}}}})",
      &s).ok());
}

}  // namespace
}  // namespace mlops::serving
