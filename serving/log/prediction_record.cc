#include "log/prediction_record.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

namespace mlops::serving {
namespace {

constexpr int kFormat = 1;

using Json = nlohmann::json;

// A JSON string; invalid UTF-8 (a request id is client input) is replaced,
// never thrown on.
void AppendString(std::string* out, const std::string& s) {
  *out += Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Shortest text that reads back to the same value. Non-finite values
// (which the server refuses before predicting) are written as null.
template <typename T>
void AppendNumber(std::string* out, T v) {
  if (!std::isfinite(v)) {
    *out += "null";
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

void AppendStrings(std::string* out, const std::vector<std::string>& v) {
  *out += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) *out += ',';
    AppendString(out, v[i]);
  }
  *out += ']';
}

std::string Head(const char* type, const std::string& model) {
  std::string s = "{\"type\":\"";
  s += type;
  s += "\",\"model\":";
  AppendString(&s, model);
  return s;
}

}  // namespace

size_t PredictionRecord::FootprintBytes() const {
  return sizeof(*this) + model.size() + protocol.size() + request_id.size() +
         inputs.size() * sizeof(float) + outputs.size() * sizeof(double);
}

std::string EncodeSegmentHeader(const std::string& model, int64_t started_ms) {
  std::string s = Head("segment", model);
  s += ",\"format\":" + std::to_string(kFormat) + ",\"started_ms\":" + std::to_string(started_ms) +
       "}\n";
  return s;
}

std::string EncodeSchemaLine(const std::string& model, int64_t version,
                             const PredictionSchema& schema) {
  std::string s = Head("schema", model);
  s += ",\"version\":" + std::to_string(version) + ",\"task\":\"";
  s += schema.classification ? "classification" : "regression";
  s += "\",\"feature_names\":";
  AppendStrings(&s, schema.feature_names);
  if (schema.classification) {
    s += ",\"classes\":";
    AppendStrings(&s, schema.classes);
  }
  s += "}\n";
  return s;
}

std::string CheckPredictionRecord(const PredictionRecord& r) {
  if (!r.schema) return "no schema";
  const size_t cols = r.schema->feature_names.size();
  if (r.inputs.size() != r.rows * cols) return "inputs do not hold rows x features values";
  const size_t per_row = r.schema->classification ? r.schema->classes.size() : 1;
  if (per_row == 0) return "a classification schema without classes";
  if (r.outputs.size() != r.rows * per_row) return "outputs do not hold one answer per row";
  return "";
}

std::string EncodePredictionLine(const PredictionRecord& r) {
  const PredictionSchema& schema = *r.schema;
  const size_t cols = schema.feature_names.size();
  std::string s = Head("prediction", r.model);
  s.reserve(s.size() + 96 + r.inputs.size() * 10 + r.outputs.size() * 12);
  s += ",\"version\":" + std::to_string(r.version) + ",\"time_ms\":" + std::to_string(r.time_ms) +
       ",\"protocol\":";
  AppendString(&s, r.protocol);
  if (!r.request_id.empty()) {
    s += ",\"id\":";
    AppendString(&s, r.request_id);
  }
  s += ",\"inputs\":[";
  for (size_t row = 0; row < r.rows; ++row) {
    s += row ? ",[" : "[";
    for (size_t c = 0; c < cols; ++c) {
      if (c) s += ',';
      AppendNumber(&s, r.inputs[row * cols + c]);
    }
    s += ']';
  }
  s += "],\"outputs\":[";
  const size_t k = schema.classes.size();
  for (size_t row = 0; row < r.rows; ++row) {
    if (row) s += ',';
    if (!schema.classification) {
      s += "{\"value\":";
      AppendNumber(&s, r.outputs[row]);
      s += '}';
      continue;
    }
    const double* p = &r.outputs[row * k];
    size_t best = 0;
    for (size_t j = 1; j < k; ++j)
      if (p[j] > p[best]) best = j;
    s += "{\"class\":";
    AppendString(&s, schema.classes[best]);
    s += ",\"probabilities\":[";
    for (size_t j = 0; j < k; ++j) {
      if (j) s += ',';
      AppendNumber(&s, p[j]);
    }
    s += "]}";
  }
  s += "]}\n";
  return s;
}

namespace {

bool Fail(std::string* error, std::string message) {
  *error = std::move(message);
  return false;
}

bool ReadStrings(const Json& j, const char* key, std::vector<std::string>* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return false;
  for (const Json& e : *it) {
    if (!e.is_string()) return false;
    out->push_back(e.get<std::string>());
  }
  return true;
}

bool DecodePrediction(const Json& j, PredictionRecord* r, std::string* error) {
  auto time = j.find("time_ms");
  auto version = j.find("version");
  auto protocol = j.find("protocol");
  auto inputs = j.find("inputs");
  auto outputs = j.find("outputs");
  if (time == j.end() || !time->is_number_integer() || version == j.end() ||
      !version->is_number_integer() || protocol == j.end() || !protocol->is_string() ||
      inputs == j.end() || !inputs->is_array() || outputs == j.end() || !outputs->is_array() ||
      inputs->size() != outputs->size())
    return Fail(error, "a prediction line without time_ms, version, protocol, inputs or outputs");
  r->time_ms = time->get<int64_t>();
  r->version = version->get<int64_t>();
  r->protocol = protocol->get<std::string>();
  if (auto id = j.find("id"); id != j.end() && id->is_string()) r->request_id = id->get<std::string>();
  r->rows = inputs->size();
  for (const Json& row : *inputs) {
    if (!row.is_array()) return Fail(error, "an input row that is not a list");
    for (const Json& v : row)
      r->inputs.push_back(v.is_number() ? v.get<float>() : std::nanf(""));
  }
  for (const Json& o : *outputs) {
    if (!o.is_object()) return Fail(error, "an output that is not an object");
    if (auto v = o.find("value"); v != o.end()) {
      r->outputs.push_back(v->is_number() ? v->get<double>() : std::nan(""));
      continue;
    }
    auto p = o.find("probabilities");
    if (p == o.end() || !p->is_array()) return Fail(error, "an output without value or probabilities");
    for (const Json& v : *p) r->outputs.push_back(v.is_number() ? v.get<double>() : std::nan(""));
  }
  return true;
}

}  // namespace

bool DecodeSegmentLine(std::string_view line, SegmentLine* out, std::string* error) {
  Json j = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Fail(error, "not a JSON object (a torn or damaged line)");
  auto type = j.find("type");
  auto model = j.find("model");
  if (type == j.end() || !type->is_string() || model == j.end() || !model->is_string())
    return Fail(error, "a line without type or model");
  const std::string t = type->get<std::string>();
  if (t == "segment") {
    auto format = j.find("format");
    if (format == j.end() || !format->is_number_integer())
      return Fail(error, "a segment header without format");
    out->type = SegmentLine::Type::kSegment;
    out->format = format->get<int>();
    if (out->format != kFormat)
      return Fail(error, "segment format " + std::to_string(out->format) + " (this reader knows " +
                             std::to_string(kFormat) + ")");
    return true;
  }
  if (t == "schema") {
    auto version = j.find("version");
    auto task = j.find("task");
    if (version == j.end() || !version->is_number_integer() || task == j.end() || !task->is_string())
      return Fail(error, "a schema line without version or task");
    out->type = SegmentLine::Type::kSchema;
    out->version = version->get<int64_t>();
    out->schema.classification = task->get<std::string>() == "classification";
    if (!ReadStrings(j, "feature_names", &out->schema.feature_names) ||
        (out->schema.classification && !ReadStrings(j, "classes", &out->schema.classes)))
      return Fail(error, "a schema line without feature_names or classes");
    return true;
  }
  if (t == "prediction") {
    out->type = SegmentLine::Type::kPrediction;
    out->record = PredictionRecord{};
    out->record.model = model->get<std::string>();
    return DecodePrediction(j, &out->record, error);
  }
  return Fail(error, "unknown line type \"" + t + "\"");
}

}  // namespace mlops::serving
