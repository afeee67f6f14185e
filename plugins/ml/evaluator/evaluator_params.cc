#include "evaluator/evaluator_params.h"

#include <algorithm>

#include "common/param_keys.h"
#include "evaluator/cross_validation.h"
#include "evaluator/model_scoring.h"

namespace mlops::ml {

namespace {

const std::vector<std::string> kKeys = {"model", "data",       "slices",   "cv",
                                        "gates", "compare_to", "champion", "compare_metric"};

Status Bad(const std::string& key, const std::string& expected, const nlohmann::json& got) {
  return Status::InvalidArgument("'" + key + "': expected " + expected + ", got " + got.dump());
}

Status NonEmptyString(const nlohmann::json& with, const char* key, std::string* out) {
  if (!with.contains(key) || with[key].is_null()) return Status::OK();
  if (!with[key].is_string() || with[key].get<std::string>().empty()) {
    return Bad(key, "a non-empty string", with[key]);
  }
  *out = with[key].get<std::string>();
  return Status::OK();
}

}  // namespace

Status ParseEvaluatorParams(const nlohmann::json& with, EvaluatorParams* out) {
  if (std::string e = UnknownKeyError(with, kKeys); !e.empty()) return Status::InvalidArgument(e);
  EvaluatorParams p;
  MLOPS_RETURN_IF_ERROR(NonEmptyString(with, "model", &p.model));
  MLOPS_RETURN_IF_ERROR(NonEmptyString(with, "champion", &p.champion));
  MLOPS_RETURN_IF_ERROR(NonEmptyString(with, "compare_metric", &p.compare_metric));
  if (with.contains("data") && !with["data"].is_null()) {
    if (!with["data"].is_object()) return Bad("data", "a data spec (a mapping)", with["data"]);
    p.data = with["data"];
  }
  if (with.contains("slices") && !with["slices"].is_null()) {
    const nlohmann::json& s = with["slices"];
    if (!s.is_array()) return Bad("slices", "a list of feature column names", s);
    for (const nlohmann::json& c : s) {
      if (!c.is_string() || c.get<std::string>().empty()) {
        return Bad("slices", "a list of feature column names", s);
      }
      p.slices.push_back(c.get<std::string>());
    }
  }
  if (with.contains("cv") && !with["cv"].is_null()) {
    const nlohmann::json& cv = with["cv"];
    const std::string expected = "a number of folds from " + std::to_string(kMinFolds) + " to " +
                                 std::to_string(kMaxFolds) + " (or 0 for none)";
    if (!cv.is_number_integer()) return Bad("cv", expected, cv);
    const int64_t k = cv.get<int64_t>();
    if (k != 0 && (k < kMinFolds || k > kMaxFolds)) return Bad("cv", expected, cv);
    p.cv = static_cast<int>(k);
  }
  if (with.contains("gates") && !with["gates"].is_null()) {
    if (!with["gates"].is_object()) {
      return Bad("gates", "a mapping of metric names to conditions such as {f1: \">= 0.95\"}",
                 with["gates"]);
    }
    p.gates = with["gates"];
  }
  if (with.contains("compare_to") && !with["compare_to"].is_null()) {
    if (with["compare_to"] != "production") {
      return Bad("compare_to", "\"production\"", with["compare_to"]);
    }
    p.compare_to_production = true;
  }
  *out = std::move(p);
  return Status::OK();
}

Status ResolveForTask(const EvaluatorParams& params, Task task, std::vector<metrics::Gate>* gates,
                      std::string* compare_metric) {
  const std::vector<std::string>& names = TaskMetricNames(task);
  std::vector<std::string> known = names;
  if (params.cv > 0) {
    for (const std::string& n : names) {
      known.push_back("cv_" + n + "_mean");
      known.push_back("cv_" + n + "_std");
    }
  }
  MLOPS_RETURN_IF_ERROR(metrics::ParseGates(params.gates, known, gates));
  *compare_metric = params.compare_metric;
  if (compare_metric->empty()) {
    *compare_metric = task == Task::kClassification ? "f1" : "r2";
  } else if (std::find(names.begin(), names.end(), *compare_metric) == names.end()) {
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
    return Status::InvalidArgument("'compare_metric': '" + *compare_metric + "' is not a " +
                                   ToString(task) + " metric (one of " + list + ")");
  }
  return Status::OK();
}

}  // namespace mlops::ml
