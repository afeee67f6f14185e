#include "metrics/gates.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace mlops::ml::metrics {

namespace {

constexpr const char* kExpected =
    "expected \"<op> <number>\" with <op> one of >=, >, <=, <, == (e.g. \">= 0.95\")";

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

bool Holds(const Gate& gate, double v) {
  const double t = gate.threshold;
  switch (gate.op) {
    case GateOp::kGe:
      return v >= t;
    case GateOp::kGt:
      return v > t;
    case GateOp::kLe:
      return v <= t;
    case GateOp::kLt:
      return v < t;
    case GateOp::kEq:
      return v == t;
  }
  return false;
}

}  // namespace

const char* ToString(GateOp op) {
  switch (op) {
    case GateOp::kGe:
      return ">=";
    case GateOp::kGt:
      return ">";
    case GateOp::kLe:
      return "<=";
    case GateOp::kLt:
      return "<";
    case GateOp::kEq:
      return "==";
  }
  return "?";
}

Status ParseGate(const std::string& metric, const std::string& expression,
                 const std::vector<std::string>& known, Gate* out) {
  if (std::find(known.begin(), known.end(), metric) == known.end()) {
    return Status::InvalidArgument("gate " + metric + ": unknown metric '" + metric +
                                   "'; expected one of " + Join(known));
  }
  const std::string text = Trim(expression);
  Gate g;
  g.metric = metric;
  size_t op_len = 0;
  if (text.starts_with(">=")) {
    g.op = GateOp::kGe, op_len = 2;
  } else if (text.starts_with("<=")) {
    g.op = GateOp::kLe, op_len = 2;
  } else if (text.starts_with("==")) {
    g.op = GateOp::kEq, op_len = 2;
  } else if (text.starts_with(">")) {
    g.op = GateOp::kGt, op_len = 1;
  } else if (text.starts_with("<")) {
    g.op = GateOp::kLt, op_len = 1;
  }
  const std::string number = Trim(text.substr(op_len));
  const char* begin = number.data() + (number.starts_with("+") ? 1 : 0);
  const char* end = number.data() + number.size();
  auto [ptr, ec] = std::from_chars(begin, end, g.threshold);
  if (op_len == 0 || number.empty() || ec != std::errc() || ptr != end ||
      !std::isfinite(g.threshold)) {
    return Status::InvalidArgument("gate " + metric + ": " + kExpected + ", got \"" + expression +
                                   "\"");
  }
  g.threshold_text = number;
  g.name = metric + " " + ToString(g.op) + " " + number;
  *out = std::move(g);
  return Status::OK();
}

Status ParseGates(const nlohmann::json& gates, const std::vector<std::string>& known,
                  std::vector<Gate>* out) {
  out->clear();
  if (gates.is_null()) return Status::OK();
  if (!gates.is_object()) {
    return Status::InvalidArgument(
        "gates: expected a mapping of metric names to conditions such as {f1: \">= 0.95\"}");
  }
  for (const auto& [metric, value] : gates.items()) {
    if (!value.is_string()) {
      return Status::InvalidArgument("gate " + metric + ": " + kExpected + ", got " + value.dump());
    }
    Gate g;
    MLOPS_RETURN_IF_ERROR(ParseGate(metric, value.get<std::string>(), known, &g));
    out->push_back(std::move(g));
  }
  return Status::OK();
}

Gate ChampionGate(const std::string& metric, double champion_value) {
  Gate g;
  g.metric = metric;
  g.op = HigherIsBetter(metric) ? GateOp::kGe : GateOp::kLe;
  g.threshold = champion_value;
  g.threshold_text = FormatValue(champion_value);
  g.name = metric + " " + ToString(g.op) + " champion (" + g.threshold_text + ")";
  return g;
}

GateResult EvaluateGate(const Gate& gate, const MetricSet& metrics) {
  GateResult r;
  r.gate = gate;
  r.value = metrics.Get(gate.metric);
  if (!r.value) {
    const std::string* why = metrics.UndefinedReason(gate.metric);
    r.message = "gate " + gate.name +
                " failed: " + (why != nullptr ? *why : gate.metric + " was not computed");
    return r;
  }
  r.passed = Holds(gate, *r.value);
  // The short form must not read as if the gate held ("got 0.95" for
  // 0.9499999 against >= 0.95): then show every digit.
  std::string shown = FormatValue(*r.value);
  if (!r.passed && Holds(gate, std::strtod(shown.c_str(), nullptr))) {
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof buf, *r.value);
    shown.assign(buf, res.ptr);
  }
  r.message = "gate " + gate.name + (r.passed ? " passed" : " failed") + ": got " + shown;
  return r;
}

std::vector<GateResult> EvaluateGates(const std::vector<Gate>& gates, const MetricSet& metrics) {
  std::vector<GateResult> out;
  for (const Gate& g : gates) out.push_back(EvaluateGate(g, metrics));
  return out;
}

std::string FormatValue(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  return buf;
}

}  // namespace mlops::ml::metrics
