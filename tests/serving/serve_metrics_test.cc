// ServeMetrics (serve_metrics.h): a request's series are looked up once and
// kept, and every request still counts under its own labels.
#include <gtest/gtest.h>

#include <thread>

#include "fake_models.h"
#include "serving/server/serve_metrics.h"

namespace mlops::serving {
namespace {

TEST(ServingMetrics, EachRequestCountsUnderItsOwnLabels) {
  ServeMetrics metrics;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 250; ++i) {
        metrics.Request("m", 1, "oip-v2", 200, 0.001);
        if (i % 5 == 0) metrics.Request("m", 1, "tfs-v1", 400, 0.001);
        if (i % 25 == 0) metrics.Request("m", 2, "oip-v2", 503, 0.001);
        if (i % 50 == 0) metrics.Request("", 0, "oip-v2", 404, 0.001);
      }
    });
  }
  for (auto& t : threads) t.join();
  auto set = testing::SetOf(testing::LinearVersion("m", 1, 1.0f, 0.0f),
                            testing::LinearVersion("m", 2, 1.0f, 0.0f), 10);
  const std::string text = metrics.Render(*set);
  for (const char* series : {
           R"(mlops_serve_requests_total{code="200",model="m",protocol="oip-v2",version="1"} 1000)",
           R"(mlops_serve_requests_total{code="400",model="m",protocol="tfs-v1",version="1"} 200)",
           R"(mlops_serve_requests_total{code="503",model="m",protocol="oip-v2",version="2"} 40)",
           R"(mlops_serve_requests_total{code="404",model="",protocol="oip-v2",version=""} 20)",
           R"(mlops_serve_request_duration_seconds_count{model="m",version="1"} 1200)"}) {
    EXPECT_NE(text.find(series), std::string::npos) << series << "\n" << text;
  }
  ServeStats stats;
  metrics.Fill(*set, &stats);
  EXPECT_EQ(stats.models["m"].versions[1].requests, 1200);
  EXPECT_EQ(stats.models["m"].versions[1].client_errors, 200);
  EXPECT_EQ(stats.models["m"].versions[2].requests, 40);
  EXPECT_EQ(stats.models["m"].versions[2].errors, 40);
}

}  // namespace
}  // namespace mlops::serving
