#include "serving/server/tfs_routes.h"

#include "serving/server/json_text.h"
#include "serving/server/protocol_common.h"
#include "serving/server/request_json.h"
#include "serving/server/request_stream.h"

namespace mlops::serving {
namespace {

using api::HttpRequest;
using api::HttpResponse;
using nlohmann::json;

constexpr const char* kProtocol = "tfs-v1";
constexpr const char* kSignature = "serving_default";

json TensorInfo(const std::string& name, const char* dtype, std::vector<int64_t> dims) {
  json dim = json::array();
  for (int64_t d : dims) dim.push_back({{"size", std::to_string(d)}, {"name", ""}});
  return {{"dtype", dtype},
          {"tensor_shape", {{"dim", dim}, {"unknown_rank", false}}},
          {"name", name}};
}

json VersionStatus(const LoadedVersion& v) {
  const bool failed = v.state == kStateFailed;
  return {{"version", std::to_string(v.version)},
          {"state", failed ? "END" : v.state},
          {"status",
           {{"error_code", failed ? "FAILED_PRECONDITION" : "OK"},
            {"error_message", failed ? v.reason : ""}}}};
}

// "NAME" or "N" followed by ":predict" (the path's last segment).
bool SplitVerb(std::string segment, std::string* head, std::string* verb) {
  const size_t colon = segment.rfind(':');
  if (colon == std::string::npos) return false;
  *verb = segment.substr(colon + 1);
  *head = segment.substr(0, colon);
  return true;
}

// The rows of "instances": a list of rows, each a list of features or an
// object naming the one input.
Status ReadInstances(const json& instances, const LoadedVersion& v, int64_t max_rows,
                     PredictInput* in) {
  if (!instances.is_array()) {
    return Status::InvalidArgument("'instances' must be a list of rows");
  }
  MLOPS_RETURN_IF_ERROR(CheckRows(instances.size(), max_rows));
  in->rows = instances.size();
  in->cols = v.mlp->inputs();
  in->x.resize(in->rows * in->cols);
  for (size_t r = 0; r < in->rows; ++r) {
    const json* row = &instances[r];
    if (row->is_object()) {
      if (row->size() != 1 || !row->contains(kFeaturesInput)) {
        return Status::InvalidArgument("instances[" + std::to_string(r) +
                                       "] must name the one input '" + kFeaturesInput + "'");
      }
      row = &(*row)[kFeaturesInput];
    }
    // A model of one feature takes each instance as a scalar too (the
    // spec's own example: {"instances": [1.0, 2.0, 5.0]}).
    const json scalar_row = in->cols == 1 && row->is_primitive() ? json::array({*row}) : json();
    if (!scalar_row.is_null()) row = &scalar_row;
    if (!row->is_array() || row->size() != in->cols) {
      return Status::InvalidArgument("instances[" + std::to_string(r) + "] must be a list of " +
                                     std::to_string(in->cols) + " features");
    }
    for (size_t c = 0; c < in->cols; ++c) {
      const auto where = [&] {
        return "instances[" + std::to_string(r) + "][" + std::to_string(c) + "] (" +
               FeaturePlace(v, r, c) + ")";
      };
      MLOPS_RETURN_IF_ERROR(ReadFeature((*row)[c], where, &in->x[r * in->cols + c]));
    }
  }
  return Status::OK();
}

// The tensor of "inputs": a list of rows, or {"features": list of rows}.
Status ReadInputs(const json& inputs, const LoadedVersion& v, int64_t max_rows, PredictInput* in) {
  const json* tensor = &inputs;
  if (inputs.is_object()) {
    if (inputs.size() != 1 || !inputs.contains(kFeaturesInput)) {
      return Status::InvalidArgument(std::string("'inputs' must name the one input '") +
                                     kFeaturesInput + "'");
    }
    tensor = &inputs[kFeaturesInput];
  }
  if (!tensor->is_array()) {
    return Status::InvalidArgument("'inputs' must be a list of rows (shape [rows, " +
                                   std::to_string(v.mlp->inputs()) + "])");
  }
  json rows = *tensor;
  for (auto& row : rows) {
    if (!row.is_array() && !(v.mlp->inputs() == 1 && row.is_primitive())) {
      return Status::InvalidArgument("'inputs' must be a list of rows (shape [rows, " +
                                     std::to_string(v.mlp->inputs()) + "])");
    }
  }
  Status s = ReadInstances(rows, v, max_rows, in);
  if (s.ok()) return s;
  std::string m = s.message();
  if (m.starts_with("instances")) m.replace(0, 9, "inputs");
  return Status::InvalidArgument(m);
}

// A predict body read as a JSON tree: every refusal of the protocol, and
// the forms the streaming reader leaves to it (request_stream.h).
Status ReadBody(const std::string& text, const LoadedVersion& v, int64_t max_rows,
                PredictInput* in, bool* row_format) {
  json body;
  std::string error;
  if (!ParseRequestJson(text, /*tf_dialect=*/true, &body, &error)) {
    return Status::InvalidArgument(error);
  }
  if (!body.is_object()) return Status::InvalidArgument("the body must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    if (key != "signature_name" && key != "instances" && key != "inputs") {
      return Status::InvalidArgument(
          "unknown key '" + key + "'; a predict request has signature_name and instances or inputs");
    }
  }
  if (body.contains("signature_name")) {
    const json& sig = body["signature_name"];
    if (!sig.is_string() || (sig != kSignature && sig != "")) {
      return Status::InvalidArgument(std::string("signature_name must be '") + kSignature +
                                     "', the model's only signature");
    }
  }
  *row_format = body.contains("instances");
  if (*row_format == body.contains("inputs")) {
    return Status::InvalidArgument(
        "a predict request has exactly one of 'instances' (row format) and 'inputs' (columnar)");
  }
  return *row_format ? ReadInstances(body["instances"], v, max_rows, in)
                     : ReadInputs(body["inputs"], v, max_rows, in);
}

class TfRoutes {
 public:
  TfRoutes(Predictor* p, ServeMetrics* m, const ServingConfig& c)
      : predictor_(p), metrics_(m), max_rows_(c.max_batch_rows) {}

  HttpResponse Status(const HttpRequest& req, bool versioned) {
    RequestScope scope(metrics_, kProtocol);
    auto set = predictor_->Current();
    const std::string& name = req.path_params.at("name");
    auto it = set->models.find(name);
    if (it == set->models.end()) return scope.Done(NotFound(name, 0), "", 0, false);
    json list = json::array();
    int64_t only = 0;
    if (versioned && !ParseVersionNumber(req.path_params.at("version"), &only)) {
      return scope.Done(ErrorAnswer(400, "a version is a positive integer"), name, 0, false);
    }
    for (auto v = it->second.versions.rbegin(); v != it->second.versions.rend(); ++v) {
      if (only == 0 || v->first == only) list.push_back(VersionStatus(*v->second));
    }
    if (list.empty()) return scope.Done(NotFound(name, only), name, 0, false);
    return scope.Done(JsonAnswer(200, {{"model_version_status", list}}), name, 0, false);
  }

  HttpResponse Metadata(const HttpRequest& req, bool versioned) {
    RequestScope scope(metrics_, kProtocol);
    const std::string& name = req.path_params.at("name");
    int64_t version = 0;
    if (versioned && !ParseVersionNumber(req.path_params.at("version"), &version)) {
      return scope.Done(ErrorAnswer(400, "a version is a positive integer"), name, 0, false);
    }
    Resolved r;
    if (mlops::Status s = predictor_->Resolve(name, version ? version : ProductionOf(name), "", &r);
        !s.ok()) {
      return scope.Done(s.IsNotFound() && !r.model ? NotFound(name, version) : ErrorAnswer(s),
                        r.model ? name : "", 0, false);
    }
    const ml::MlpModel& m = *r.version->mlp;
    json outputs = json::object();
    if (r.version->schema->classification) {
      outputs["class"] = TensorInfo("class", "DT_STRING", {-1});
      outputs["probabilities"] =
          TensorInfo("probabilities", "DT_DOUBLE", {-1, static_cast<int64_t>(m.outputs())});
    } else {
      outputs["value"] = TensorInfo("value", "DT_DOUBLE", {-1});
    }
    json signature = {
        {"inputs",
         {{kFeaturesInput,
           TensorInfo(kFeaturesInput, "DT_FLOAT", {-1, static_cast<int64_t>(m.inputs())})}}},
        {"outputs", outputs},
        {"method_name", "tensorflow/serving/predict"}};
    json body = {
        {"model_spec",
         {{"name", name}, {"signature_name", ""}, {"version", std::to_string(r.version->version)}}},
        {"metadata", {{"signature_def", {{"signature_def", {{kSignature, signature}}}}}}}};
    return scope.Done(JsonAnswer(200, body), name, 0, false);
  }

  HttpResponse Predict(const HttpRequest& req, bool versioned) {
    RequestScope scope(metrics_, kProtocol);
    std::string name = req.path_params.at("name");
    std::string verb;
    int64_t version = 0;
    if (versioned) {
      std::string number;
      if (!SplitVerb(req.path_params.at("version"), &number, &verb) ||
          !ParseVersionNumber(number, &version)) {
        return scope.Done(ErrorAnswer(404, "no such path: POST " + req.path), "", 0, false);
      }
    } else if (!SplitVerb(name, &name, &verb)) {
      return scope.Done(ErrorAnswer(405, "POST " + req.path + " is not a method of the API; use "
                                    "POST /v1/models/NAME:predict"), "", 0, false);
    }
    if (verb != "predict") {
      return scope.Done(ErrorAnswer(400, "':" + verb + "' is not served: this server answers "
                                    "':predict' (classify and regress need tf.Example inputs)"),
                        "", 0, false);
    }
    Resolved r;
    if (mlops::Status s = predictor_->Resolve(name, version, RoutingKey(req, ""), &r); !s.ok()) {
      return scope.Done(s.IsNotFound() && !r.model ? NotFound(name, version) : ErrorAnswer(s),
                        r.model ? name : "", 0, false);
    }
    const int64_t answered = r.version->version;
    auto fail = [&](const mlops::Status& s) {
      return scope.Done(ErrorAnswer(s), name, answered, true);
    };
    auto in = std::make_shared<PredictInput>();
    bool rows = false;
    if (!StreamTfsPredict(req.body, r.version->mlp->inputs(), max_rows_, in.get(), &rows)) {
      *in = PredictInput{};
      if (mlops::Status s = ReadBody(req.body, *r.version, max_rows_, in.get(), &rows); !s.ok()) {
        return fail(s);
      }
    }
    std::vector<double> out;
    if (mlops::Status s = predictor_->Run(r, in, kProtocol, "", &out); !s.ok()) return fail(s);
    return scope.Done(HttpResponse::Json(200, Answer(*r.version, in->rows, out, rows)), name,
                      answered, true);
  }

 private:
  // TF-Serving's wording for a servable it does not have.
  static HttpResponse NotFound(const std::string& name, int64_t version) {
    return ErrorAnswer(404, "Servable not found for request: " +
                                (version ? "Specific(" + name + ", " + std::to_string(version) + ")"
                                         : "Latest(" + name + ")"));
  }

  int64_t ProductionOf(const std::string& name) const {
    auto set = predictor_->Current();
    auto it = set->models.find(name);
    return it == set->models.end() ? 0 : it->second.production;
  }

  // The predictions, written as text (json_text.h): keys in the order a
  // json object prints them.
  static std::string Answer(const LoadedVersion& v, size_t rows, const std::vector<double>& out,
                            bool row_format) {
    JsonText text;
    text.Raw(row_format ? "{\"predictions\":" : "{\"outputs\":");
    if (!v.schema->classification) return text.Numbers(out.data(), out.size()).Raw("}").Take();
    const size_t k = v.mlp->outputs();
    const std::vector<std::string> classes = ClassesOf(v, rows, out);
    if (!row_format) {
      text.Raw("{\"class\":").Strings(classes).Raw(",\"probabilities\":[");
      for (size_t r = 0; r < rows; ++r) text.Raw(r ? "," : "").Numbers(&out[r * k], k);
      return text.Raw("]}}").Take();
    }
    text.Raw("[");
    for (size_t r = 0; r < rows; ++r) {
      text.Raw(r ? ",{\"class\":" : "{\"class\":").String(classes[r]).Raw(",\"probabilities\":");
      text.Numbers(&out[r * k], k).Raw("}");
    }
    return text.Raw("]}").Take();
  }

  Predictor* predictor_;
  ServeMetrics* metrics_;
  int64_t max_rows_;
};

}  // namespace

void AddTfServingRoutes(api::Router* router, Predictor* predictor, ServeMetrics* metrics,
                        const ServingConfig& config) {
  auto routes = std::make_shared<TfRoutes>(predictor, metrics, config);
  using std::placeholders::_1;
  using std::placeholders::_2;
  AddVersionedRoute(router, "GET", "/v1/models", "", std::bind(&TfRoutes::Status, routes, _1, _2));
  AddVersionedRoute(router, "GET", "/v1/models", "/metadata",
                    std::bind(&TfRoutes::Metadata, routes, _1, _2));
  AddVersionedRoute(router, "POST", "/v1/models", "", std::bind(&TfRoutes::Predict, routes, _1, _2));
}

}  // namespace mlops::serving
