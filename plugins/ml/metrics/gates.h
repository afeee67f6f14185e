// Quality gates: conditions on metric values that decide whether an
// evaluation passes, written in a stage's `with` as
//   gates: {f1: ">= 0.95", roc_auc: "> 0.9", log_loss: "<= 0.3"}
// Operators: >=, >, <=, <, == (exact). A gate on an undefined metric fails,
// saying why the metric is undefined. Pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "metrics/metric_set.h"
#include "mlops/common/status.h"

namespace mlops::ml::metrics {

enum class GateOp { kGe, kGt, kLe, kLt, kEq };
const char* ToString(GateOp op);  // ">=", ...

struct Gate {
  std::string metric;  // e.g. "f1"
  GateOp op = GateOp::kGe;
  double threshold = 0;
  std::string threshold_text;  // as written ("0.95"), for messages
  // How reports name the gate ("f1 >= 0.95"): the JUnit test case name.
  std::string name;
};

// Parses `expression` ("<op> <number>", blanks allowed around both) as a
// gate on `metric`, which must be one of `known`. InvalidArgument naming the
// gate and what was expected otherwise.
Status ParseGate(const std::string& metric, const std::string& expression,
                 const std::vector<std::string>& known, Gate* out);

// Parses the `gates` object (null means none), in key order. Each value
// must be a string expression. InvalidArgument naming the first bad gate.
Status ParseGates(const nlohmann::json& gates, const std::vector<std::string>& known,
                  std::vector<Gate>* out);

// The gate that a challenger is not worse than the champion on `metric`:
// metric >= champion_value when HigherIsBetter(metric), else <=.
Gate ChampionGate(const std::string& metric, double champion_value);

struct GateResult {
  Gate gate;
  bool passed = false;
  std::optional<double> value;  // the metric's value, when defined
  // "gate f1 >= 0.95 passed: got 0.97", "gate f1 >= 0.95 failed: got
  // 0.9312", or "gate roc_auc > 0.9 failed: roc_auc is undefined: <why>".
  std::string message;
};

GateResult EvaluateGate(const Gate& gate, const MetricSet& metrics);
std::vector<GateResult> EvaluateGates(const std::vector<Gate>& gates, const MetricSet& metrics);

// A metric value for messages: up to 6 significant digits ("0.9312").
std::string FormatValue(double value);

}  // namespace mlops::ml::metrics
