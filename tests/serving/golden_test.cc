// Golden exchanges from the two protocol specifications (golden/README.md
// names each source), answered in-process by mlops-serve's own routes for a
// hand-built model that stands in for the specification's example model.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fake_models.h"
#include "serving/server/oip_routes.h"
#include "serving/server/tfs_routes.h"

namespace mlops::serving {
namespace {

using nlohmann::json;

class GoldenTest : public ::testing::TestWithParam<std::string> {};

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

TEST_P(GoldenTest, AnswersAsTheSpecificationSays) {
  const json golden = ReadJson(GetParam());
  SCOPED_TRACE(golden["source"].get<std::string>());
  auto set = testing::SetOf(testing::LinearVersion("half_plus_three", 123, 0.5f, 3.0f));
  ServeMetrics metrics;
  Predictor predictor([set] { return set; }, &metrics, {});
  api::Router router;
  AddTfServingRoutes(&router, &predictor, &metrics, ServingConfig{});
  AddOpenInferenceRoutes(&router, &predictor, &metrics, ServingConfig{});

  const json& rq = golden["request"];
  api::HttpRequest req;
  req.method = rq["method"];
  req.path = rq["path"];
  if (rq.contains("body")) req.body = rq["body"].dump();
  if (rq.contains("body_text")) req.body = rq["body_text"];
  const api::HttpResponse resp = router.Dispatch(&req);

  const json& want = golden["response"];
  EXPECT_EQ(resp.status, want["status"].get<int>()) << resp.body;
  EXPECT_EQ(resp.content_type, "application/json");
  const json body = json::parse(resp.body, nullptr, false);
  if (want.contains("body")) {
    EXPECT_EQ(body, want["body"]) << resp.body;
  }
  if (want.contains("body_has")) {
    for (const auto& [key, value] : want["body_has"].items()) {
      EXPECT_EQ(body.value(key, json()), value) << key << " in " << resp.body;
    }
  }
  if (want.value("error", false)) {
    ASSERT_TRUE(body.is_object()) << resp.body;
    EXPECT_EQ(body.size(), 1u) << resp.body;
    EXPECT_TRUE(body.contains("error") && body["error"].is_string()) << resp.body;
  }
}

std::vector<std::string> GoldenFiles() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(MLOPS_GOLDEN_DIR)) {
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

INSTANTIATE_TEST_SUITE_P(Specifications, GoldenTest, ::testing::ValuesIn(GoldenFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return std::filesystem::path(info.param).stem().string();
                         });

}  // namespace
}  // namespace mlops::serving
