// SearchSpace: the hyperparameters a search varies, parsed from a JSON
// object whose values are distribution texts or fixed values:
//   {"lr": "loguniform(1e-4, 1e-1)", "hidden": "choice(16, 32, 64)",
//    "dropout": "uniform(0, 0.5)", "epochs": "int(20, 200)",
//    "optimizer": "choice(adam, sgd)", "batch_size": 32}
// A point of the space is one coordinate per dimension in the dimension's
// internal scale (Dimension::low/high): the value for uniform and int, its
// natural log for loguniform, the index for choice, 0 for fixed. Samplers
// work on coordinates; ParamsAt turns them into the values an objective sees.
// Plain values; immutable after parsing, safe to share between threads.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlops/common/status.h"

namespace mlops::ml {

// A trial's hyperparameter values: a JSON object, name -> number or string
// (or the JSON value of a fixed parameter).
using ParamValues = nlohmann::json;

enum class DimensionKind { kUniform, kLogUniform, kInt, kChoice, kFixed };

struct Dimension {
  std::string name;
  DimensionKind kind = DimensionKind::kFixed;
  // Bounds of the internal coordinate: uniform [low, high); loguniform
  // [log lo, log hi); int [lo, hi] inclusive; choice [0, choices.size() - 1].
  double low = 0;
  double high = 0;
  std::vector<nlohmann::json> choices;  // choice: the values, as listed
  nlohmann::json fixed;                 // fixed: the value
  std::string text;                     // the source text, for messages

  bool searchable() const { return kind != DimensionKind::kFixed; }
};

struct SearchSpace {
  std::vector<Dimension> dims;  // in name order (nlohmann's object order)

  // Number of dimensions that are not fixed.
  int SearchableCount() const;
  // The values at a point; REQUIRES: x.size() == dims.size(), each
  // coordinate within its dimension's bounds.
  ParamValues ParamsAt(const std::vector<double>& x) const;
};

// Parses `j` (a JSON object). Errors name the parameter, the text and what
// was expected: "space.lr: expected loguniform(low, high) with
// 0 < low < high, got 'loguniform(0, 1)'".
Status ParseSearchSpace(const nlohmann::json& j, SearchSpace* out);

}  // namespace mlops::ml
