// mlops-serve's parts in-process: the TF-Serving JSON dialect and nesting
// limit, canary routing by key, the shadow comparison's rule, and a hot
// swap's rule that a request keeps the set it started with.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "fake_models.h"
#include "serving/server/predictor.h"
#include "serving/server/request_json.h"

namespace mlops::serving {
namespace {

using nlohmann::json;

TEST(RequestJson, TfDialectTokensBecomeNonFiniteNumbers) {
  json j;
  std::string error;
  ASSERT_TRUE(ParseRequestJson(R"({"a": [NaN, Infinity, -Infinity, 1.5], "s": "NaN Infinity"})",
                               true, &j, &error)) << error;
  double v = 0;
  ASSERT_TRUE(ReadNumber(j["a"][0], &v, &error));
  EXPECT_TRUE(std::isnan(v));
  ASSERT_TRUE(ReadNumber(j["a"][1], &v, &error));
  EXPECT_EQ(v, INFINITY);
  ASSERT_TRUE(ReadNumber(j["a"][2], &v, &error));
  EXPECT_EQ(v, -INFINITY);
  ASSERT_TRUE(ReadNumber(j["a"][3], &v, &error));
  EXPECT_EQ(v, 1.5);
  EXPECT_EQ(j["s"], "NaN Infinity");  // inside a string nothing changes
  EXPECT_FALSE(ReadNumber(j["s"], &v, &error));
  EXPECT_NE(error.find("a string"), std::string::npos);
  // An escaped quote does not end a string; the text around a token is kept.
  ASSERT_TRUE(ParseRequestJson(R"({"s": "x\"NaN", "a": [1, NaN], "b": [2, 3]})", true, &j, &error))
      << error;
  EXPECT_EQ(j["s"], "x\"NaN");
  ASSERT_TRUE(ReadNumber(j["a"][1], &v, &error));
  EXPECT_TRUE(std::isnan(v));
  EXPECT_EQ(j["b"], json::array({2, 3}));
}

TEST(RequestJson, StrictJsonRefusesTheDialectAndDeepNesting) {
  json j;
  std::string error;
  EXPECT_FALSE(ParseRequestJson(R"({"a": [NaN]})", false, &j, &error));
  EXPECT_NE(error.find("malformed JSON"), std::string::npos) << error;
  const std::string deep = std::string(33, '[') + std::string(33, ']');
  EXPECT_FALSE(ParseRequestJson(deep, true, &j, &error));
  EXPECT_NE(error.find("nested deeper than 32"), std::string::npos) << error;
  const std::string ok = std::string(32, '[') + std::string(32, ']');
  EXPECT_TRUE(ParseRequestJson(ok, true, &j, &error)) << error;
  // Brackets inside strings do not count.
  EXPECT_TRUE(ParseRequestJson("{\"a\": \"" + std::string(100, '[') + "\"}", true, &j, &error));
}

TEST(RequestJson, B64ValuesAreDecodedThenRefusedAsFeatures) {
  double v = 0;
  std::string error;
  EXPECT_FALSE(ReadNumber(json{{"b64", "aGk="}}, &v, &error));
  EXPECT_NE(error.find("binary value"), std::string::npos) << error;
  EXPECT_NE(error.find("2 bytes"), std::string::npos) << error;
  EXPECT_FALSE(ReadNumber(json{{"b64", "***"}}, &v, &error));
  EXPECT_NE(error.find("not valid base64"), std::string::npos) << error;
}

TEST(CanaryRouting, AKeyAlwaysGoesToTheSameVersionAndSharesHold) {
  auto set = testing::SetOf(testing::LinearVersion("m", 1, 1, 0), testing::LinearVersion("m", 2, 1, 0),
                            10);
  const ServedModel& m = set->models["m"];
  int to_canary = 0;
  for (int i = 0; i < 10000; ++i) {
    const std::string key = "client-" + std::to_string(i);
    const int64_t first = m.Route(key)->version;
    EXPECT_EQ(m.Route(key)->version, first);
    EXPECT_EQ(first == 2, Fnv1a64(key) % 100 < 10);
    to_canary += first == 2;
  }
  EXPECT_GT(to_canary, 700);   // 10% of 10000, within sampling noise
  EXPECT_LT(to_canary, 1300);
  // No key: a random draw, also near the share.
  int random_canary = 0;
  for (int i = 0; i < 10000; ++i) random_canary += m.Route("")->version == 2;
  EXPECT_GT(random_canary, 700);
  EXPECT_LT(random_canary, 1300);
}

TEST(CanaryRouting, FnvIsTheStandardFnv1a64) {
  EXPECT_EQ(Fnv1a64(""), 14695981039346656037ull);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cull);
}

TEST(CanaryRouting, ZeroShareAndUnavailableVersionsFallBack) {
  auto prod = testing::LinearVersion("m", 1, 1, 0);
  auto none = testing::SetOf(prod, testing::LinearVersion("m", 2, 1, 0), 0);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(none->models["m"].Route(std::to_string(i))->version, 1);
  auto all = testing::SetOf(prod, testing::LinearVersion("m", 2, 1, 0), 100);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(all->models["m"].Route(std::to_string(i))->version, 2);
  auto failed = testing::SetOf(prod, UnservedVersion("m", 2, kStateFailed, "bad"), 100);
  EXPECT_EQ(failed->models["m"].Route("k")->version, 1);
  EXPECT_EQ(failed->models["m"].Served(2), nullptr);
}

TEST(Shadow, DisagreementRules) {
  // Classification: the argmax of any row.
  EXPECT_FALSE(ShadowComparer::Disagree(true, 2, {0.9, 0.1, 0.2, 0.8}, {0.6, 0.4, 0.4, 0.6}));
  EXPECT_TRUE(ShadowComparer::Disagree(true, 2, {0.9, 0.1, 0.2, 0.8}, {0.9, 0.1, 0.6, 0.4}));
  // Regression: more than 1e-6 relative.
  EXPECT_FALSE(ShadowComparer::Disagree(false, 1, {100.0}, {100.00005}));
  EXPECT_TRUE(ShadowComparer::Disagree(false, 1, {100.0}, {100.001}));
}

TEST(Predictor, CanaryAnswersAreComparedWithProduction) {
  ServeMetrics metrics;
  auto set = testing::SetOf(testing::LinearVersion("m", 1, 1, 0), testing::LinearVersion("m", 2, 2, 0),
                            100);
  {
    Predictor p([set] { return set; }, &metrics, {});
    Resolved r;
    ASSERT_TRUE(p.Resolve("m", 0, "k", &r).ok());
    EXPECT_EQ(r.version->version, 2);
    auto in = std::make_shared<PredictInput>();
    in->rows = 1;
    in->cols = 1;
    in->x = {3.0f};
    std::vector<double> out;
    ASSERT_TRUE(p.Run(r, in, "tfs-v1", "", &out).ok());
    EXPECT_EQ(out, std::vector<double>{6.0});
  }  // the comparer's thread has finished its queue
  ServeStats stats;
  metrics.Fill(*set, &stats);
  EXPECT_EQ(stats.models["m"].versions[2].shadow_compared, 1);
  EXPECT_EQ(stats.models["m"].versions[2].shadow_disagreed, 1);
}

TEST(Predictor, ARequestKeepsTheSetItStartedWith) {
  ServeMetrics metrics;
  std::shared_ptr<const ModelSet> current = testing::SetOf(testing::LinearVersion("m", 1, 1, 0));
  Predictor p([&current] { return current; }, &metrics, {});
  Resolved r;
  ASSERT_TRUE(p.Resolve("m", 0, "", &r).ok());
  std::weak_ptr<const LoadedVersion> old = r.version;
  current = testing::SetOf(testing::LinearVersion("m", 2, 1, 0));  // the swap
  auto in = std::make_shared<PredictInput>();
  in->rows = 1;
  in->cols = 1;
  in->x = {1.0f};
  std::vector<double> out;
  ASSERT_TRUE(p.Run(r, in, "tfs-v1", "", &out).ok());
  EXPECT_EQ(r.version->version, 1);
  EXPECT_FALSE(old.expired());
  r = Resolved{};
  EXPECT_TRUE(old.expired());  // unloaded once its last request ended
  Resolved next;
  ASSERT_TRUE(p.Resolve("m", 0, "", &next).ok());
  EXPECT_EQ(next.version->version, 2);
}

TEST(Predictor, UnknownModelsAndVersionsAreNotFound) {
  ServeMetrics metrics;
  auto set = testing::SetOf(testing::LinearVersion("m", 1, 1, 0));
  Predictor p([set] { return set; }, &metrics, {});
  Resolved r;
  EXPECT_TRUE(p.Resolve("x", 0, "", &r).IsNotFound());
  Status s = p.Resolve("m", 5, "", &r);
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_NE(s.message().find("version 5"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace mlops::serving
