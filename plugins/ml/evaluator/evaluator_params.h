// The evaluator stage's `with` (docs/ml/evaluator.md), checked strictly:
// an unknown key or a wrong type is an error naming the key. Plain value.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "metrics/gates.h"
#include "mlops/common/status.h"

namespace mlops::ml {

struct EvaluatorParams {
  std::string model = "model.mlp";     // name of the input holding the model
  nlohmann::json data;                 // a DataSpec overriding the model's; null = the model's
  std::vector<std::string> slices;     // feature columns to slice the test rows by
  int cv = 0;                          // folds of cross-validation; 0 = none
  nlohmann::json gates;                // {metric: "<op> <number>"}; parsed per task
  bool compare_to_production = false;  // compare_to: production
  std::string champion;                // a champion model's path (as written)
  std::string compare_metric;          // empty: f1 (classification) or r2 (regression)
};

// InvalidArgument naming the key for an unknown key (with the allowed
// ones), a wrong type or a value out of range.
Status ParseEvaluatorParams(const nlohmann::json& with, EvaluatorParams* out);

// What needs the model's task: the gates (on its metrics, and on cv_<m>_mean
// / cv_<m>_std with cv) and the compared metric. InvalidArgument naming the
// gate or key.
Status ResolveForTask(const EvaluatorParams& params, Task task, std::vector<metrics::Gate>* gates,
                      std::string* compare_metric);

}  // namespace mlops::ml
