#include "api/prediction_log_routes.h"

#include <charconv>
#include <cstdlib>
#include <ctime>

#include "api/json_response.h"
#include "log/prediction_reader.h"
#include "pipeline/pipeline_parser.h"

namespace mlops::api {
namespace {

using nlohmann::json;

constexpr size_t kMaxLimit = 10000;

bool AllDigits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// "YYYY-MM-DDTHH:MM:SS[.fff]Z".
bool ParseUtcTime(const std::string& text, int64_t* out) {
  std::tm tm{};
  const char* rest = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return false;
  int64_t ms = 0;
  if (*rest == '.') {
    ++rest;
    int digits = 0;
    while (*rest >= '0' && *rest <= '9') {
      if (digits++ < 3) ms = ms * 10 + (*rest - '0');
      ++rest;
    }
    if (digits == 0) return false;
    for (; digits < 3; ++digits) ms *= 10;
  }
  if (std::string(rest) != "Z") return false;
  *out = static_cast<int64_t>(::timegm(&tm)) * 1000 + ms;
  return true;
}

// The float a log holds, as the shortest decimal that reads back to it
// (a float widened to double prints 17 digits: 0.1f as 0.10000000149011612).
double Shortest(float v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  *r.ptr = '\0';
  return std::strtod(buf, nullptr);
}

json SchemaJson(const serving::PredictionSchema& s) {
  json j = {{"task", s.classification ? "classification" : "regression"},
            {"feature_names", s.feature_names}};
  if (s.classification) j["classes"] = s.classes;
  return j;
}

json RecordJson(const serving::PredictionRecord& r) {
  const serving::PredictionSchema& s = *r.schema;
  const size_t cols = s.feature_names.size();
  json inputs = json::array(), outputs = json::array();
  for (size_t row = 0; row < r.rows; ++row) {
    json in = json::array();
    for (size_t c = 0; c < cols; ++c) in.push_back(Shortest(r.inputs[row * cols + c]));
    inputs.push_back(std::move(in));
    if (!s.classification) {
      outputs.push_back({{"value", r.outputs[row]}});
      continue;
    }
    const size_t k = s.classes.size();
    json p = json::array();
    size_t best = 0;
    for (size_t j = 0; j < k; ++j) {
      p.push_back(r.outputs[row * k + j]);
      if (r.outputs[row * k + j] > r.outputs[row * k + best]) best = j;
    }
    outputs.push_back({{"class", s.classes[best]}, {"probabilities", std::move(p)}});
  }
  json j = {{"time_ms", r.time_ms}, {"version", r.version}, {"protocol", r.protocol},
            {"inputs", std::move(inputs)}, {"outputs", std::move(outputs)}};
  if (!r.request_id.empty()) j["id"] = r.request_id;
  return j;
}

}  // namespace

bool ParseSince(const std::string& text, int64_t now_ms, int64_t* out, std::string* error) {
  if (AllDigits(text)) {
    auto r = std::from_chars(text.data(), text.data() + text.size(), *out);
    if (r.ec == std::errc()) return true;
  } else if (text.find('T') != std::string::npos) {
    if (ParseUtcTime(text, out)) return true;
  } else {
    std::chrono::milliseconds d{};
    std::string why;
    if (pipeline::ParseDuration(text, &d, &why)) {
      *out = now_ms - d.count();
      return true;
    }
  }
  *error = "since \"" + text +
           "\": expected a duration back from now (\"30m\", \"2h\", \"7d\"), a UTC time "
           "(\"2026-12-07T15:00:00Z\") or milliseconds since the epoch";
  return false;
}

void AddPredictionLogRoutes(std::string predictions_root, Clock* clock, Router* router) {
  router->Add("GET", "/api/v1/serving/predictions/{name}",
              [root = std::move(predictions_root), clock](const HttpRequest& req) {
    serving::PredictionQuery q;
    q.model = req.path_params.at("name");
    std::string error;
    const std::string since = req.Query("since");
    if (!since.empty() && !ParseSince(since, clock->WallMillis(), &q.since_ms, &error))
      return HttpResponse::Problem(400, error, req.path);
    const std::string limit = req.Query("limit", "100");
    size_t n = 0;
    auto r = std::from_chars(limit.data(), limit.data() + limit.size(), n);
    if (r.ec != std::errc() || r.ptr != limit.data() + limit.size() || n < 1 || n > kMaxLimit)
      return HttpResponse::Problem(400, "limit \"" + limit + "\": expected a whole number from 1 to " +
                                            std::to_string(kMaxLimit), req.path);
    q.limit = n;
    const std::string version = req.Query("version");
    if (!version.empty()) {
      auto v = std::from_chars(version.data(), version.data() + version.size(), q.version);
      if (v.ec != std::errc() || v.ptr != version.data() + version.size() || q.version < 1)
        return HttpResponse::Problem(400, "version \"" + version + "\": expected a positive number",
                                     req.path);
    }
    q.after = req.Query("after");
    serving::PredictionPage page;
    Status st = serving::ReadPredictions(root, q, &page);
    if (!st.ok()) return FromStatus(st, req.path);
    json schemas = json::object(), records = json::array();
    for (const auto& rec : page.records) {
      const std::string key = std::to_string(rec.version);
      if (!schemas.contains(key)) schemas[key] = SchemaJson(*rec.schema);
      records.push_back(RecordJson(rec));
    }
    return Ok({{"model", q.model},
               {"since_ms", q.since_ms},
               {"schemas", std::move(schemas)},
               {"records", std::move(records)},
               {"next_cursor", page.next_cursor.empty() ? json(nullptr) : json(page.next_cursor)},
               {"skipped_lines", page.skipped_lines}});
  });
}

}  // namespace mlops::api
