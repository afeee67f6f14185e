// JsonText (json_text.h) prints every value as nlohmann's dump() does.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include <nlohmann/json.hpp>

#include "fake_models.h"
#include "serving/server/json_text.h"
#include "serving/server/oip_routes.h"
#include "serving/server/tfs_routes.h"

namespace mlops::serving {
namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

TEST(ServingJsonText, NumbersPrintAsNlohmannPrintsThem) {
  std::vector<double> values = {0.0, -0.0, 1.0, -3.0, 0.1, 1.0 / 3, 2.5e-5, 1e-4, 1e-5, 1e15,
                                1e16, 1e17, 123456789012345678.0, 1.7976931348623157e308,
                                4.9e-324, 2.2250738585072014e-308, 0.9999999999999999,
                                std::numeric_limits<double>::quiet_NaN(),
                                std::numeric_limits<double>::infinity(),
                                -std::numeric_limits<double>::infinity()};
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int i = 0; i < 20000; ++i) {
    values.push_back(unit(random));                                  // probabilities
    values.push_back(std::bit_cast<double>(random()));               // any bit pattern
    values.push_back(static_cast<float>(unit(random) * 100 - 50));  // float-born values
  }
  for (double d : values) {
    EXPECT_EQ(JsonText().Number(d).Take(), Dump(json(d))) << std::hexfloat << d;
  }
  EXPECT_EQ(JsonText().Numbers(values.data(), values.size()).Take(), Dump(json(values)));
  EXPECT_EQ(JsonText().Numbers(nullptr, 0).Take(), "[]");
  for (int64_t i : {int64_t{0}, int64_t{-1}, int64_t{123}, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(JsonText().Integer(i).Take(), Dump(json(i)));
  }
}

TEST(ServingJsonText, StringsAreEscapedAsNlohmannEscapesThem) {
  const std::vector<std::string> strings = {
      "", "plain", "quote \" and \\ backslash", "tab\tnew\nline", std::string("nul\0x", 5),
      "\x7f", "caf\xc3\xa9", "bad \xff utf-8", "\x01\x1f"};
  for (const std::string& s : strings) {
    EXPECT_EQ(JsonText().String(s).Take(), Dump(json(s))) << s;
  }
  EXPECT_EQ(JsonText().Strings(strings).Take(), Dump(json(strings)));
  EXPECT_EQ(JsonText().Raw("{\"a\":").Integer(1).Raw("}").Take(), "{\"a\":1}");
}

// A classifier of one feature into "no" and "yes \"quoted\"" (a label
// that needs escaping).
std::shared_ptr<const LoadedVersion> Classifier() {
  auto base = testing::LinearVersion("cls", 4, 1.0f, 0.0f);
  auto v = std::make_shared<LoadedVersion>(*base);
  auto mlp = std::make_shared<ml::MlpModel>(*base->mlp);
  mlp->task = ml::Task::kClassification;
  mlp->classes = {"no", "yes \"quoted\""};
  mlp->layers[0].out = 2;
  mlp->layers[0].weight = {0.7f, -1.3f};
  mlp->layers[0].bias = {0.1f, 0.2f};
  auto schema = std::make_shared<PredictionSchema>(*base->schema);
  schema->classification = true;
  v->mlp = mlp;
  v->schema = schema;
  return v;
}

// Every answer form of both protocols is byte for byte the text of the
// json object it stands for (parsed and printed again by nlohmann).
TEST(ServingJsonText, AnswersAreTheTextOfTheirJsonObjects) {
  for (const auto& version : {Classifier(), testing::LinearVersion("cls", 4, 0.3f, 0.1f)}) {
    auto set = testing::SetOf(version);
    ServeMetrics metrics;
    Predictor predictor([set] { return set; }, &metrics, {});
    api::Router router;
    AddTfServingRoutes(&router, &predictor, &metrics, ServingConfig{});
    AddOpenInferenceRoutes(&router, &predictor, &metrics, ServingConfig{});
    const std::string tensor =
        R"({"name": "features", "shape": [3, 1], "datatype": "FP32", "data": [0.25, -2, 1e-3]})";
    const bool classes = version->schema->classification;
    for (const auto& [path, body] : std::vector<std::pair<std::string, std::string>>{
             {"/v1/models/cls:predict", R"({"instances": [[0.25], [-2], [1e-3]]})"},
             {"/v1/models/cls:predict", R"({"inputs": [[0.25], [-2], [1e-3]]})"},
             {"/v2/models/cls/infer", R"({"id": "i\"d", "inputs": [)" + tensor + "]}"},
             {"/v2/models/cls/infer", R"({"inputs": [)" + tensor + "]}"},
             {"/v2/models/cls/infer", R"({"inputs": [)" + tensor + R"(], "outputs": [{"name": ")" +
                                          (classes ? "probabilities" : "value") + "\"}]}"}}) {
      api::HttpRequest req;
      req.method = "POST";
      req.path = path;
      req.body = body;
      const api::HttpResponse resp = router.Dispatch(&req);
      ASSERT_EQ(resp.status, 200) << body << " " << resp.body;
      EXPECT_EQ(resp.body, Dump(json::parse(resp.body))) << body;
      if (classes && body.find("outputs") == std::string::npos) {
        EXPECT_NE(resp.body.find(R"(yes \"quoted\")"), std::string::npos) << resp.body;
      }
    }
  }
}

}  // namespace
}  // namespace mlops::serving
