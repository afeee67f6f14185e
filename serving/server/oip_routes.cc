#include "serving/server/oip_routes.h"

#include "mlops/common/build_info.h"
#include "serving/server/json_text.h"
#include "serving/server/protocol_common.h"
#include "serving/server/request_json.h"
#include "serving/server/request_stream.h"

namespace mlops::serving {
namespace {

using api::HttpRequest;
using api::HttpResponse;
using nlohmann::json;

constexpr const char* kProtocol = "oip-v2";

json Tensor(const std::string& name, const char* datatype, std::vector<int64_t> shape) {
  return {{"name", name}, {"datatype", datatype}, {"shape", shape}};
}

// Appends the numbers of `data` (nested lists allowed: row-major) to *flat.
Status Flatten(const json& data, int depth, std::vector<const json*>* flat) {
  if (!data.is_array()) {
    flat->push_back(&data);
    return Status::OK();
  }
  if (depth > 2) return Status::InvalidArgument("'data' is nested deeper than the tensor's shape");
  for (const auto& item : data) MLOPS_RETURN_IF_ERROR(Flatten(item, depth + 1, flat));
  return Status::OK();
}

Status ReadShape(const json& shape, size_t cols, int64_t max_rows, size_t* rows) {
  if (!shape.is_array() || shape.size() != 2 || !shape[0].is_number_integer() ||
      !shape[1].is_number_integer()) {
    return Status::InvalidArgument("input 'features' needs shape [rows, " + std::to_string(cols) +
                                   "]");
  }
  const int64_t r = shape[0].get<int64_t>(), c = shape[1].get<int64_t>();
  if (c != static_cast<int64_t>(cols) || r < 0) {
    return Status::InvalidArgument("input 'features' has shape [" + std::to_string(r) + ", " +
                                   std::to_string(c) + "]; the model takes [rows, " +
                                   std::to_string(cols) + "]");
  }
  MLOPS_RETURN_IF_ERROR(CheckRows(static_cast<size_t>(r), max_rows));
  *rows = static_cast<size_t>(r);
  return Status::OK();
}

Status ReadInput(const json& input, const LoadedVersion& v, int64_t max_rows, PredictInput* in) {
  if (!input.is_object()) return Status::InvalidArgument("an input tensor is a JSON object");
  for (const auto& [key, value] : input.items()) {
    if (key != "name" && key != "shape" && key != "datatype" && key != "parameters" &&
        key != "data") {
      return Status::InvalidArgument("unknown key '" + key + "' in an input tensor");
    }
  }
  if (!input.contains("name") || !input["name"].is_string() ||
      input["name"] != kFeaturesInput) {
    return Status::InvalidArgument(std::string("the model's one input is named '") +
                                   kFeaturesInput + "'");
  }
  if (input.contains("parameters") && !input["parameters"].is_object()) {
    return Status::InvalidArgument("an input's 'parameters' must be a JSON object");
  }
  const std::string datatype = input.value("datatype", json()).is_string()
                                   ? input["datatype"].get<std::string>() : "";
  if (datatype != "FP32" && datatype != "FP64" && datatype != "INT64") {
    return Status::InvalidArgument("input 'features' has datatype '" + datatype +
                                   "'; the model takes FP32, FP64 or INT64");
  }
  in->cols = v.mlp->inputs();
  MLOPS_RETURN_IF_ERROR(ReadShape(input.value("shape", json()), in->cols, max_rows, &in->rows));
  if (!input.contains("data")) return Status::InvalidArgument("input 'features' has no 'data'");
  std::vector<const json*> flat;
  MLOPS_RETURN_IF_ERROR(Flatten(input["data"], 0, &flat));
  if (flat.size() != in->rows * in->cols) {
    return Status::InvalidArgument("input 'features' holds " + std::to_string(flat.size()) +
                                   " values; its shape says " +
                                   std::to_string(in->rows * in->cols));
  }
  in->x.resize(flat.size());
  const bool int64 = datatype == "INT64";
  for (size_t i = 0; i < flat.size(); ++i) {
    const auto where = [&] {
      return "data[" + std::to_string(i) + "] (" + FeaturePlace(v, i / in->cols, i % in->cols) +
             ")";
    };
    if (int64 && !flat[i]->is_number_integer()) {
      return Status::InvalidArgument(where() + " is not an integer (datatype INT64)");
    }
    MLOPS_RETURN_IF_ERROR(ReadFeature(*flat[i], where, &in->x[i]));
  }
  return Status::OK();
}

class OipRoutes {
 public:
  OipRoutes(Predictor* p, ServeMetrics* m, const ServingConfig& c)
      : predictor_(p), metrics_(m), max_rows_(c.max_batch_rows) {}

  HttpResponse Live(const HttpRequest&) {
    RequestScope scope(metrics_, kProtocol);
    return scope.Done(JsonAnswer(200, {{"live", true}}), "", 0, false);
  }

  HttpResponse Ready(const HttpRequest&) {
    RequestScope scope(metrics_, kProtocol);
    auto set = predictor_->Current();
    bool ready = set->complete;
    for (const auto& [name, m] : set->models) ready = ready && m.Ready();
    // The spec's schema names the field "live"; KServe and Triton answer
    // "ready": both carry the readiness (docs/serving.md).
    return scope.Done(JsonAnswer(ready ? 200 : 400, {{"ready", ready}, {"live", ready}}), "", 0,
                      false);
  }

  HttpResponse Server(const HttpRequest&) {
    RequestScope scope(metrics_, kProtocol);
    return scope.Done(JsonAnswer(200, {{"name", "mlops-serve"},
                                       {"version", CurrentBuild().version},
                                       {"extensions", json::array()}}),
                      "", 0, false);
  }

  HttpResponse Metadata(const HttpRequest& req, bool versioned) {
    RequestScope scope(metrics_, kProtocol);
    Resolved r;
    const std::string& name = req.path_params.at("name");
    if (HttpResponse bad; !Find(req, versioned, &r, &bad)) return scope.Done(bad, r.model ? name : "", 0, false);
    const ml::MlpModel& m = *r.version->mlp;
    json versions = json::array();
    for (int64_t v : {r.model->production, r.model->canary}) {
      if (r.model->Served(v)) versions.push_back(std::to_string(v));
    }
    json outputs = json::array();
    if (r.version->schema->classification) {
      outputs.push_back(Tensor("class", "BYTES", {-1}));
      outputs.push_back(Tensor("probabilities", "FP64", {-1, static_cast<int64_t>(m.outputs())}));
    } else {
      outputs.push_back(Tensor("value", "FP64", {-1}));
    }
    json body = {{"name", name},
                 {"versions", versions},
                 {"platform", "mlopsd_mlp"},
                 {"inputs", json::array({Tensor(kFeaturesInput, "FP32",
                                                {-1, static_cast<int64_t>(m.inputs())})})},
                 {"outputs", outputs}};
    return scope.Done(JsonAnswer(200, body), name, 0, false);
  }

  HttpResponse ModelReady(const HttpRequest& req, bool versioned) {
    RequestScope scope(metrics_, kProtocol);
    const std::string& name = req.path_params.at("name");
    Resolved r;
    HttpResponse bad;
    const bool ready = Find(req, versioned, &r, &bad);
    if (!r.model) return scope.Done(bad, "", 0, false);
    return scope.Done(JsonAnswer(ready ? 200 : 400, {{"name", name}, {"ready", ready}}), name, 0,
                      false);
  }

  HttpResponse Infer(const HttpRequest& req, bool versioned) {
    RequestScope scope(metrics_, kProtocol);
    const std::string& name = req.path_params.at("name");
    // The common body is streamed; the JSON tree reads the rest and every
    // refusal. Both see the same id, so both route the request alike.
    OipStreamedRequest streamed;
    const bool streamed_ok = StreamOipInfer(req.body, &streamed);
    json body;
    std::string error;
    bool parsed = false;
    std::string id;
    if (streamed_ok) {
      id = streamed.id.value_or("");
    } else {
      parsed = ParseRequestJson(req.body, /*tf_dialect=*/false, &body, &error);
      id = IdOf(parsed, body);
    }
    Resolved r;
    if (HttpResponse bad; !Find(req, versioned, &r, &bad, RoutingKey(req, id))) {
      return scope.Done(bad, r.model ? name : "", 0, false);
    }
    const int64_t answered = r.version->version;
    auto fail = [&](const mlops::Status& s) {
      return scope.Done(ErrorAnswer(s), name, answered, true);
    };
    auto in = std::make_shared<PredictInput>();
    std::vector<std::string> wanted;
    bool has_id = streamed.id.has_value();
    if (streamed_ok && streamed.TakeInput(r.version->mlp->inputs(), max_rows_, in.get())) {
      wanted = OutputNames(*r.version);
    } else {
      if (streamed_ok) parsed = ParseRequestJson(req.body, /*tf_dialect=*/false, &body, &error);
      if (!parsed) return fail(mlops::Status::InvalidArgument(error));
      if (mlops::Status s = ReadBody(body, *r.version, in.get(), &wanted); !s.ok()) return fail(s);
      has_id = body.contains("id");
    }
    std::vector<double> out;
    if (mlops::Status s = predictor_->Run(r, in, kProtocol, id, &out); !s.ok()) return fail(s);
    return scope.Done(HttpResponse::Json(200, Answer(*r.version, name, has_id ? &id : nullptr,
                                                     in->rows, out, wanted)),
                      name, answered, true);
  }

 private:
  // The model and version a path names; false with *bad the answer when
  // there is none (r->model set when the model exists). The version is
  // the one in the path, else production or canary by `key`.
  bool Find(const HttpRequest& req, bool versioned, Resolved* r, HttpResponse* bad,
            const std::string& key = "") {
    int64_t version = 0;
    if (versioned && !ParseVersionNumber(req.path_params.at("version"), &version)) {
      *bad = ErrorAnswer(400, "a version is a positive integer");
      return false;
    }
    mlops::Status s = predictor_->Resolve(req.path_params.at("name"), version, key, r);
    if (!s.ok()) *bad = ErrorAnswer(s);
    return s.ok();
  }

  // The id of a parsed body, "" when it has none (or not a string: refused
  // later, after the model is found).
  static std::string IdOf(bool parsed, const json& body) {
    return parsed && body.is_object() && body.contains("id") && body["id"].is_string()
               ? body["id"].get<std::string>() : "";
  }

  // An infer body read as a JSON tree: every refusal of the protocol, and
  // the forms the streaming reader leaves to it (request_stream.h).
  mlops::Status ReadBody(const json& body, const LoadedVersion& v, PredictInput* in,
                         std::vector<std::string>* wanted) const {
    if (!body.is_object()) return mlops::Status::InvalidArgument("the body must be a JSON object");
    for (const auto& [key, value] : body.items()) {
      if (key != "id" && key != "parameters" && key != "inputs" && key != "outputs") {
        return mlops::Status::InvalidArgument(
            "unknown key '" + key + "'; an inference request has id, parameters, inputs, outputs");
      }
    }
    if (body.contains("id") && !body["id"].is_string()) {
      return mlops::Status::InvalidArgument("'id' must be a string");
    }
    if (body.contains("parameters") && !body["parameters"].is_object()) {
      return mlops::Status::InvalidArgument("'parameters' must be a JSON object");
    }
    if (!body.contains("inputs") || !body["inputs"].is_array() || body["inputs"].size() != 1) {
      return mlops::Status::InvalidArgument(
          std::string("'inputs' must be a list of one tensor, '") + kFeaturesInput + "'");
    }
    MLOPS_RETURN_IF_ERROR(RequestedOutputs(body, v, wanted));
    return ReadInput(body["inputs"][0], v, max_rows_, in);
  }

  static std::vector<std::string> OutputNames(const LoadedVersion& v) {
    if (v.schema->classification) return {"class", "probabilities"};
    return {"value"};
  }

  static mlops::Status RequestedOutputs(const json& body, const LoadedVersion& v,
                                        std::vector<std::string>* out) {
    const std::vector<std::string> known = OutputNames(v);
    if (!body.contains("outputs")) {
      *out = known;
      return mlops::Status::OK();
    }
    const json& list = body["outputs"];
    if (!list.is_array()) return mlops::Status::InvalidArgument("'outputs' must be a list");
    for (const auto& o : list) {
      if (!o.is_object() || !o.contains("name") || !o["name"].is_string() ||
          std::find(known.begin(), known.end(), o["name"].get<std::string>()) == known.end()) {
        std::string names;
        for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
        return mlops::Status::InvalidArgument("a requested output names one of " + names);
      }
      if (o.contains("parameters") && !o["parameters"].is_object()) {
        return mlops::Status::InvalidArgument("an output's 'parameters' must be a JSON object");
      }
      out->push_back(o["name"].get<std::string>());
    }
    return mlops::Status::OK();
  }

  // The answer, written as text (json_text.h): keys in the order a json
  // object prints them.
  static std::string Answer(const LoadedVersion& v, const std::string& name, const std::string* id,
                            size_t rows, const std::vector<double>& out,
                            const std::vector<std::string>& wanted) {
    JsonText text;
    text.Raw("{");
    if (id) text.Raw("\"id\":").String(*id).Raw(",");
    text.Raw("\"model_name\":").String(name).Raw(",\"model_version\":\"").Integer(v.version);
    text.Raw("\",\"outputs\":[");
    const int64_t n = static_cast<int64_t>(rows);
    for (size_t i = 0; i < wanted.size(); ++i) {
      text.Raw(i ? ",{\"data\":" : "{\"data\":");
      if (wanted[i] == "class") {
        text.Strings(ClassesOf(v, rows, out)).Raw(",\"datatype\":\"BYTES\",\"name\":\"class\"");
        text.Raw(",\"shape\":[").Integer(n).Raw("]}");
        continue;
      }
      text.Numbers(out.data(), out.size()).Raw(",\"datatype\":\"FP64\",\"name\":");
      text.String(wanted[i]).Raw(",\"shape\":[").Integer(n);
      if (wanted[i] == "probabilities") text.Raw(",").Integer(static_cast<int64_t>(v.mlp->outputs()));
      text.Raw("]}");
    }
    return text.Raw("]}").Take();
  }

  Predictor* predictor_;
  ServeMetrics* metrics_;
  int64_t max_rows_;
};

}  // namespace

void AddOpenInferenceRoutes(api::Router* router, Predictor* predictor, ServeMetrics* metrics,
                            const ServingConfig& config) {
  auto routes = std::make_shared<OipRoutes>(predictor, metrics, config);
  router->Add("GET", "/v2", [routes](const HttpRequest& r) { return routes->Server(r); });
  router->Add("GET", "/v2/health/live", [routes](const HttpRequest& r) { return routes->Live(r); });
  router->Add("GET", "/v2/health/ready",
              [routes](const HttpRequest& r) { return routes->Ready(r); });
  using std::placeholders::_1;
  using std::placeholders::_2;
  AddVersionedRoute(router, "GET", "/v2/models", "", std::bind(&OipRoutes::Metadata, routes, _1, _2));
  AddVersionedRoute(router, "GET", "/v2/models", "/ready",
                    std::bind(&OipRoutes::ModelReady, routes, _1, _2));
  AddVersionedRoute(router, "POST", "/v2/models", "/infer",
                    std::bind(&OipRoutes::Infer, routes, _1, _2));
}

}  // namespace mlops::serving
