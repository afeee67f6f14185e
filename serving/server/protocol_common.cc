#include "serving/server/protocol_common.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "serving/server/request_json.h"

namespace mlops::serving {
namespace {

thread_local bool counted = false;

}  // namespace

api::HttpResponse JsonAnswer(int status, const nlohmann::json& body) {
  return api::HttpResponse::Json(status,
                                 body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

api::HttpResponse ErrorAnswer(int status, const std::string& message) {
  return JsonAnswer(status, {{"error", message}});
}

int HttpCodeOf(const Status& s) {
  if (s.IsNotFound()) return 404;
  if (s.IsInvalidArgument()) return 400;
  if (s.IsUnavailable()) return 503;
  if (s.IsPermissionDenied()) return 403;
  return 500;
}

api::HttpResponse ErrorAnswer(const Status& s) { return ErrorAnswer(HttpCodeOf(s), s.message()); }

bool ParseVersionNumber(const std::string& text, int64_t* out) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  *out = std::stoll(text);
  return *out > 0;
}

std::string RoutingKey(const api::HttpRequest& req, const std::string& fallback) {
  std::string key = req.Header("x-request-key");
  return key.empty() ? fallback : key;
}

bool ReadFeatureValue(const nlohmann::json& v, float* out, std::string* problem) {
  double d = 0;
  if (!ReadNumber(v, &d, problem)) return false;
  if (!std::isfinite(d)) {
    *problem = std::string(std::isnan(d) ? "NaN" : "infinite") + ": the model needs finite features";
    return false;
  }
  if (std::fabs(d) > std::numeric_limits<float>::max()) {
    *problem = "beyond the range of a 32-bit float";
    return false;
  }
  *out = static_cast<float>(d);
  return true;
}

std::string FeaturePlace(const LoadedVersion& v, size_t row, size_t col) {
  std::string place = "row " + std::to_string(row) + ", column " + std::to_string(col);
  if (col < v.mlp->feature_names.size()) place += ", feature '" + v.mlp->feature_names[col] + "'";
  return place;
}

std::vector<std::string> ClassesOf(const LoadedVersion& v, size_t rows,
                                   const std::vector<double>& out) {
  const size_t k = v.mlp->outputs();
  std::vector<std::string> classes;
  for (size_t r = 0; r < rows; ++r) {
    const double* p = &out[r * k];
    classes.push_back(v.mlp->classes[static_cast<size_t>(std::max_element(p, p + k) - p)]);
  }
  return classes;
}

Status CheckRows(size_t rows, int64_t max_rows) {
  if (rows == 0) return Status::InvalidArgument("the request holds no rows");
  if (rows > static_cast<size_t>(max_rows)) {
    return Status::InvalidArgument("the request holds " + std::to_string(rows) +
                                   " rows; at most " + std::to_string(max_rows) +
                                   " are accepted (serving.max_batch_rows)");
  }
  return Status::OK();
}

void AddVersionedRoute(api::Router* router, const std::string& method, const std::string& models,
                       const std::string& suffix,
                       std::function<api::HttpResponse(const api::HttpRequest&, bool)> handler) {
  router->Add(method, models + "/{name}" + suffix,
              [handler](const api::HttpRequest& r) { return handler(r, false); });
  router->Add(method, models + "/{name}/versions/{version}" + suffix,
              [handler](const api::HttpRequest& r) { return handler(r, true); });
}

RequestScope::RequestScope(ServeMetrics* metrics, const char* protocol)
    : metrics_(metrics), protocol_(protocol) {
  metrics_->InFlight(1);
}

RequestScope::~RequestScope() { metrics_->InFlight(-1); }

api::HttpResponse RequestScope::Done(api::HttpResponse resp, const std::string& model,
                                     int64_t version, bool prediction) {
  if (version != 0) resp.headers.emplace_back("X-Model-Version", std::to_string(version));
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  metrics_->Request(model, prediction ? version : 0, protocol_, resp.status, secs);
  counted = true;
  return resp;
}

bool TakeRequestCounted() {
  const bool was = counted;
  counted = false;
  return was;
}

}  // namespace mlops::serving
