// What the two protocols' route files share: the {"error": "..."} answer
// both specifications use, Status to HTTP code, version numbers in paths,
// the routing key, the X-Model-Version header, feature matrices read from
// JSON with the row and column of the first bad value, and the scope that
// counts a request in the metrics.
// Thread-safety: pure functions; a RequestScope belongs to one request.
#pragma once

#include <chrono>
#include <functional>
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "api/http.h"
#include "mlops/common/status.h"
#include "serving/server/predictor.h"
#include "serving/server/serve_metrics.h"

namespace mlops::serving {

inline constexpr const char* kFeaturesInput = "features";

// {"error": message} with `status` (both protocols' error shape).
api::HttpResponse ErrorAnswer(int status, const std::string& message);
// NotFound 404, InvalidArgument 400, Unavailable 503, else 500.
int HttpCodeOf(const Status& s);
api::HttpResponse ErrorAnswer(const Status& s);
api::HttpResponse JsonAnswer(int status, const nlohmann::json& body);

// A version in a path ("7"); false for anything but a positive integer.
bool ParseVersionNumber(const std::string& text, int64_t* out);

// X-Request-Key, else `fallback` (the OIP id), else "" (a random draw).
std::string RoutingKey(const api::HttpRequest& req, const std::string& fallback);

// Reads a value into one feature: finite, and within float's range; false
// with *problem ("NaN: the model needs finite features") otherwise.
bool ReadFeatureValue(const nlohmann::json& v, float* out, std::string* problem);

// ReadFeatureValue as a Status. `where()` names the value in the error
// ("instances[3][1] (row 3, column 1, feature 'radius')"); it is called on
// the error path only, so a valid batch builds no message per value.
template <typename Where>
Status ReadFeature(const nlohmann::json& v, const Where& where, float* out) {
  std::string problem;
  if (ReadFeatureValue(v, out, &problem)) return Status::OK();
  return Status::InvalidArgument(where() + " is " + problem);
}

// A feature's name in messages: "row R, column C, feature 'NAME'".
std::string FeaturePlace(const LoadedVersion& v, size_t row, size_t col);

// The class label of each row of classification outputs (argmax).
std::vector<std::string> ClassesOf(const LoadedVersion& v, size_t rows,
                                   const std::vector<double>& out);

// Refuses a batch above the configured limit.
Status CheckRows(size_t rows, int64_t max_rows);

// Adds METHOD <models>/{name}<suffix> and <models>/{name}/versions/{version}
// <suffix>; the handler is told which of the two matched.
void AddVersionedRoute(api::Router* router, const std::string& method, const std::string& models,
                       const std::string& suffix,
                       std::function<api::HttpResponse(const api::HttpRequest&, bool)> handler);

// Counts one request in the metrics when it ends (in flight meanwhile).
class RequestScope {
 public:
  RequestScope(ServeMetrics* metrics, const char* protocol);
  ~RequestScope();
  // The answer, marked with the version that answered (if any) and counted
  // under the model and version; version 0 keeps it out of the version's
  // prediction counters (metadata and status calls).
  api::HttpResponse Done(api::HttpResponse resp, const std::string& model, int64_t version,
                         bool prediction);

 private:
  ServeMetrics* metrics_;
  const char* protocol_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// Whether the current thread's request was counted by a RequestScope (the
// server's observer counts the others, e.g. 401s and 413s).
bool TakeRequestCounted();

}  // namespace mlops::serving
