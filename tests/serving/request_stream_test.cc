// The streaming readers of predict bodies (request_stream.h): the common
// forms are read into the same features as the JSON tree reads them, and
// everything else is left to the tree path, whose refusals the routes give
// word for word.
#include <gtest/gtest.h>

#include "fake_models.h"
#include "serving/server/oip_routes.h"
#include "serving/server/request_stream.h"
#include "serving/server/tfs_routes.h"

namespace mlops::serving {
namespace {

TEST(ServingRequestStream, TfsRowsAndColumnsAreReadAsTheTreeReadsThem) {
  for (const char* body :
       {R"({"instances": [[1, 2.5, -3e2], [4.0, 18446744073709551615, 0]]})",
        R"({"signature_name": "serving_default", "inputs": [[1, 2.5, -3e2], [4.0, 18446744073709551615, 0]]})",
        R"({"instances": [[1, 2.5, -3e2], [4.0, 18446744073709551615, 0]], "signature_name": ""})"}) {
    PredictInput in;
    bool row_format = false;
    ASSERT_TRUE(StreamTfsPredict(body, 3, 10, &in, &row_format)) << body;
    EXPECT_EQ(row_format, std::string(body).find("instances") != std::string::npos);
    EXPECT_EQ(in.rows, 2u);
    EXPECT_EQ(in.cols, 3u);
    EXPECT_EQ(in.x, (std::vector<float>{1.0f, 2.5f, -300.0f, 4.0f, 18446744073709551615.0f, 0.0f}));
  }
}

TEST(ServingRequestStream, TfsLeavesEveryOtherBodyToTheTreePath) {
  for (const char* body : {
           R"({"instances": [[1, NaN]]})", R"({"instances": [[1, -Infinity]]})",
           R"({"instances": [[1, {"b64": "AAA="}]]})", R"({"instances": [[1, 1e39]]})",
           R"({"instances": [[1, "2"]]})", R"({"instances": [[1, null]]})",
           R"({"instances": [[1, 2, 3]]})", R"({"instances": [[1]]})", R"({"instances": []})",
           R"({"instances": [[1, 2], [3, 4], [5, 6]]})", R"({"instances": [1, 2]})",
           R"({"instances": [{"features": [1, 2]}]})", R"({"inputs": {"features": [[1, 2]]}})",
           R"({"instances": [[1, 2]], "instances": [[1, 2]]})",
           R"({"instances": [[1, 2]], "inputs": [[1, 2]]})", R"({"instances": [[1, 2]], "x": 1})",
           R"({"signature_name": "other", "instances": [[1, 2]]})",
           R"({"signature_name": 1, "instances": [[1, 2]]})", R"({"instances": [[[1], 2]]})",
           R"({"signature_name": "serving_default"})", R"([[1, 2]])", R"({"instances": [[1, 2]])",
           R"({"instances": [[1, 2]]} x)", ""}) {
    PredictInput in;
    bool row_format = false;
    EXPECT_FALSE(StreamTfsPredict(body, 2, 2, &in, &row_format)) << body;
  }
}

TEST(ServingRequestStream, OipTensorsAreReadFlatOrNestedInAnyKeyOrder) {
  for (const char* body :
       {R"({"id": "a", "inputs": [{"name": "features", "shape": [2, 2], "datatype": "FP32", "data": [1, 2.5, 3, 4]}]})",
        R"({"inputs": [{"data": [[1, 2.5], [3, 4]], "datatype": "FP64", "shape": [2, 2], "name": "features"}], "id": "a"})",
        R"({"id": "a", "inputs": [{"name": "features", "shape": [2, 2], "datatype": "INT64", "data": [[[1, 2.5]], [3, 4]]}]})"}) {
    OipStreamedRequest req;
    ASSERT_TRUE(StreamOipInfer(body, &req)) << body;
    EXPECT_EQ(req.id, "a");
    PredictInput in;
    EXPECT_FALSE(req.TakeInput(3, 10, &in)) << body;
    EXPECT_FALSE(req.TakeInput(2, 1, &in)) << body;
    // INT64 takes integers only: 2.5 leaves the body to the tree's refusal.
    EXPECT_EQ(req.TakeInput(2, 10, &in), req.datatype != "INT64") << body;
    if (req.datatype == "INT64") continue;
    EXPECT_EQ(in.rows, 2u);
    EXPECT_EQ(in.x, (std::vector<float>{1.0f, 2.5f, 3.0f, 4.0f}));
  }
  OipStreamedRequest no_id;
  ASSERT_TRUE(StreamOipInfer(
      R"({"inputs": [{"name": "features", "shape": [1, 2], "datatype": "FP32", "data": [1, 2, 3]}]})",
      &no_id));
  EXPECT_FALSE(no_id.id.has_value());
  PredictInput in;
  EXPECT_FALSE(no_id.TakeInput(2, 10, &in)) << "3 values for shape [1, 2]";
}

TEST(ServingRequestStream, OipLeavesEveryOtherBodyToTheTreePath) {
  const std::string tensor = R"("name": "features", "shape": [1, 2], "datatype": "FP32")";
  for (const std::string& body : std::vector<std::string>{
           R"({"inputs": [{)" + tensor + R"(, "data": [1, 2]}], "outputs": [{"name": "value"}]})",
           R"({"inputs": [{)" + tensor + R"(, "data": [1, 2]}], "parameters": {}})",
           R"({"inputs": [{)" + tensor + R"(, "data": [1, 2], "parameters": {}}]})",
           R"({"inputs": [{)" + tensor + R"(, "data": [1, 2]}, {)" + tensor + R"(, "data": [1, 2]}]})",
           R"({"inputs": [{)" + tensor + R"(, "data": [1, 2]}], "id": 7})",
           R"({"inputs": [{)" + tensor + R"(, "data": [1, 2]}], "x": 1})",
           R"({"inputs": [{)" + tensor + R"(, "data": [1, 2], "data": [1, 2]}]})",
           R"({"inputs": [{)" + tensor + R"(, "data": [1, NaN]}]})",
           R"({"inputs": [{)" + tensor + R"(, "data": [1, 1e39]}]})",
           R"({"inputs": [{)" + tensor + R"(, "data": [1, "2"]}]})",
           R"({"inputs": [{)" + tensor + R"(, "data": [[[[1, 2]]]]}]})",
           R"({"inputs": [{)" + tensor + R"(, "data": 1}]})",
           R"({"inputs": [{)" + tensor + R"(}]})",
           R"({"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]})",
           R"({"inputs": [{"name": "features", "shape": [1, 2], "datatype": "BYTES", "data": [1, 2]}]})",
           R"({"inputs": [{"name": "features", "shape": [1, 2.0], "datatype": "FP32", "data": [1, 2]}]})",
           R"({"inputs": [{"name": "features", "shape": [1, 2, 1], "datatype": "FP32", "data": [1, 2]}]})",
           R"({"inputs": [{"name": "features", "shape": [1], "datatype": "FP32", "data": [1, 2]}]})",
           R"({"inputs": [{"name": "features", "datatype": "FP32", "data": [1, 2]}]})",
           R"({"inputs": []})", R"({"id": "a"})", R"([])", R"({"inputs": [{)" + tensor}) {
    OipStreamedRequest req;
    EXPECT_FALSE(StreamOipInfer(body, &req)) << body;
  }
}

// What the routes answer, streamed or not: the tree path's words for the
// bodies the stream leaves to it, the same answer for those it reads.
TEST(ServingRequestStream, RoutesAnswerStreamedAndTreeReadBodiesAlike) {
  auto set = testing::SetOf(testing::LinearVersion("half", 1, 0.5f, 3.0f));
  ServeMetrics metrics;
  Predictor predictor([set] { return set; }, &metrics, {});
  api::Router router;
  ServingConfig config;
  config.max_batch_rows = 2;
  AddTfServingRoutes(&router, &predictor, &metrics, config);
  AddOpenInferenceRoutes(&router, &predictor, &metrics, config);
  const auto post = [&](const std::string& path, const std::string& body) {
    api::HttpRequest req;
    req.method = "POST";
    req.path = path;
    req.body = body;
    const api::HttpResponse resp = router.Dispatch(&req);
    return std::to_string(resp.status) + " " + resp.body;
  };
  const std::string tfs = "/v1/models/half:predict", oip = "/v2/models/half/infer";
  EXPECT_EQ(post(tfs, R"({"instances": [[1.0], [2]]})"), R"(200 {"predictions":[3.5,4.0]})");
  EXPECT_EQ(post(tfs, R"({"instances": [1.0, 2]})"), R"(200 {"predictions":[3.5,4.0]})");
  EXPECT_EQ(post(tfs, R"({"inputs": [[1.0], [2]]})"), R"(200 {"outputs":[3.5,4.0]})");
  EXPECT_EQ(post(tfs, R"({"instances": [[1.0], [NaN]]})"),
            R"j(400 {"error":"instances[1][0] (row 1, column 0, feature 'x') is NaN: the model needs finite features"})j");
  EXPECT_EQ(post(tfs, R"({"instances": [[1.0], [2], [3]]})"),
            R"j(400 {"error":"the request holds 3 rows; at most 2 are accepted (serving.max_batch_rows)"})j");
  EXPECT_EQ(post(tfs, R"({"instances": [[1.0, 2]]})"),
            R"(400 {"error":"instances[0] must be a list of 1 features"})");
  const std::string head = R"({"id": "q", "inputs": [{"name": "features", "datatype": "FP32", )";
  EXPECT_EQ(post(oip, head + R"("shape": [2, 1], "data": [1.0, 2]}]})"),
            R"(200 {"id":"q","model_name":"half","model_version":"1","outputs":[{"data":[3.5,4.0],"datatype":"FP64","name":"value","shape":[2]}]})");
  EXPECT_EQ(post(oip, head + R"("shape": [1, 2], "data": [1.0, 2]}]})"),
            R"(400 {"error":"input 'features' has shape [1, 2]; the model takes [rows, 1]"})");
  EXPECT_EQ(post(oip, head + R"("shape": [2, 1], "data": [1.0]}]})"),
            R"(400 {"error":"input 'features' holds 1 values; its shape says 2"})");
  EXPECT_EQ(post(oip, R"({"inputs": [{"name": "features", "datatype": "INT64", "shape": [1, 1], "data": [1.5]}]})"),
            R"j(400 {"error":"data[0] (row 0, column 0, feature 'x') is not an integer (datatype INT64)"})j");
}

}  // namespace
}  // namespace mlops::serving
