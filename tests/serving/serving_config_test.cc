#include "serving/shared/serving_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace mlops::serving {
namespace {

Status Parse(const std::string& yaml, ServingConfig* c) {
  YAML::Node root = YAML::Load(yaml);
  return ParseServingConfig("f.yaml", root["serving"], c);
}

TEST(ServingConfigTest, DefaultsWhenEmpty) {
  ServingConfig c;
  ASSERT_TRUE(Parse("serving:\n", &c).ok());
  EXPECT_EQ(c.listen, "127.0.0.1:8766");
  EXPECT_EQ(c.max_batch_rows, 1024);
  EXPECT_EQ(c.max_body_mb, 16);
  EXPECT_FALSE(c.anonymous_predict);
  EXPECT_EQ(c.predict_roles, (std::vector<std::string>{"predictor", "operator", "admin"}));
  EXPECT_EQ(c.reload_interval, std::chrono::milliseconds(200));
}

TEST(ServingConfigTest, ReadsEveryKey) {
  ServingConfig c;
  Status s = Parse(R"(serving:
  listen: 127.0.0.1:0
  threads: 8
  max_batch_rows: 64
  max_body_mb: 2
  anonymous_predict: true
  predict_roles: [predictor, viewer]
  reload_interval: 50ms
  restart_backoff_max: 10s
  prediction_log:
    enabled: false
    sample_rate: 0.25
    max_rows_per_second: 100
    max_size_mb: 8
    max_age: 2h
)", &c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.listen, "127.0.0.1:0");
  EXPECT_EQ(c.threads, 8);
  EXPECT_EQ(c.max_batch_rows, 64);
  EXPECT_EQ(c.max_body_mb, 2);
  EXPECT_TRUE(c.anonymous_predict);
  EXPECT_EQ(c.predict_roles, (std::vector<std::string>{"predictor", "viewer"}));
  EXPECT_EQ(c.reload_interval, std::chrono::milliseconds(50));
  EXPECT_EQ(c.restart_backoff_max, std::chrono::seconds(10));
  EXPECT_FALSE(c.prediction_log.enabled);
  EXPECT_DOUBLE_EQ(c.prediction_log.sample_rate, 0.25);
  EXPECT_EQ(c.prediction_log.max_rows_per_second, 100);
  EXPECT_EQ(c.prediction_log.max_size_mb, 8);
  EXPECT_EQ(c.prediction_log.max_age, std::chrono::hours(2));
}

TEST(ServingConfigTest, UnknownKeyNamesPlaceAndNearestKey) {
  ServingConfig c;
  Status s = Parse("serving:\n  max_batch_row: 3\n", &c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("f.yaml:2:3: unknown serving setting 'max_batch_row'"),
            std::string::npos) << s.message();
  EXPECT_NE(s.message().find("did you mean 'max_batch_rows'"), std::string::npos) << s.message();
}

TEST(ServingConfigTest, EveryProblemAtOnceWithPositions) {
  ServingConfig c;
  Status s = Parse(R"(serving:
  threads: lots
  max_body_mb: 0
  reload_interval: soon
  predict_roles: [predictor, superuser]
  prediction_log: {sample_rate: 2, max_ag: 1h}
  listen: nowhere
)", &c);
  ASSERT_FALSE(s.ok());
  const std::string& m = s.message();
  EXPECT_NE(m.find("f.yaml:2:12: expected a number from 2 to 1024"), std::string::npos) << m;
  EXPECT_NE(m.find("f.yaml:3:16: expected a number from 1 to 1024"), std::string::npos) << m;
  EXPECT_NE(m.find("f.yaml:4:20: expected a duration"), std::string::npos) << m;
  EXPECT_NE(m.find("f.yaml:5:30: unknown role 'superuser'"), std::string::npos) << m;
  EXPECT_NE(m.find("f.yaml:6:33: sample_rate must be between 0 and 1, got 2"), std::string::npos) << m;
  EXPECT_NE(m.find("f.yaml:7:11: expected HOST:PORT"), std::string::npos) << m;
}

TEST(ServingConfigTest, DuplicateKeyRefused) {
  ServingConfig c;
  Status s = Parse("serving:\n  threads: 4\n  threads: 8\n", &c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("f.yaml:3:3: duplicate serving setting 'threads'"), std::string::npos)
      << s.message();
}

TEST(ServingConfigTest, AnonymousPredictOnlyOnLoopback) {
  ServingConfig c;
  Status s = Parse("serving:\n  listen: 0.0.0.0:8766\n  anonymous_predict: true\n", &c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("anonymous_predict needs a loopback listen address"), std::string::npos)
      << s.message();
  ServingConfig ok;
  EXPECT_TRUE(Parse("serving:\n  listen: '[::1]:9'\n  anonymous_predict: true\n", &ok).ok());
}

TEST(ServingConfigTest, NotAMappingRefused) {
  ServingConfig c;
  Status s = Parse("serving: [1, 2]\n", &c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("f.yaml:1:10: expected a mapping of serving settings"),
            std::string::npos) << s.message();
}

TEST(ServingConfigTest, LoopbackListen) {
  EXPECT_TRUE(IsLoopbackListen("127.0.0.1:8766"));
  EXPECT_TRUE(IsLoopbackListen("127.3.2.1:1"));
  EXPECT_TRUE(IsLoopbackListen("[::1]:1"));
  EXPECT_TRUE(IsLoopbackListen("localhost:1"));
  EXPECT_FALSE(IsLoopbackListen("0.0.0.0:1"));
  EXPECT_FALSE(IsLoopbackListen("10.0.0.1:1"));
  EXPECT_FALSE(IsLoopbackListen("example.com:1"));
}

TEST(ServingConfigTest, FileReadsServingStateAndTlsIgnoringDaemonKeys) {
  const std::string path = ::testing::TempDir() + "/serve_file_config.yaml";
  std::ofstream(path) << "state_dir: /var/lib/mlopsd\nhttp_threads: 8\n"
                         "tls: {cert: /c.pem, key: /k.pem}\nserving:\n  max_batch_rows: 7\n";
  ServeFileConfig c;
  Status s = LoadServeFileConfig(path, &c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(c.has_serving);
  EXPECT_EQ(c.state_dir, "/var/lib/mlopsd");
  EXPECT_EQ(c.tls_cert, "/c.pem");
  EXPECT_EQ(c.tls_key, "/k.pem");
  EXPECT_EQ(c.serving.max_batch_rows, 7);

  std::ofstream(path) << "serving:\n  threads: 1\n";
  ServeFileConfig bad;
  s = LoadServeFileConfig(path, &bad);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path + ":2:12: expected a number from 2 to 1024"), std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace mlops::serving
