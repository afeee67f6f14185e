#include "metrics/regression_metrics.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>
#include <vector>

#include "metrics/summation.h"

namespace mlops::ml::metrics {

namespace {

template <typename F>
std::vector<double> Map(std::span<const double> y_true, std::span<const double> y_pred, F f) {
  std::vector<double> out(y_true.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = f(y_true[i], y_pred[i]);
  return out;
}

}  // namespace

double Rmse(std::span<const double> y_true, std::span<const double> y_pred) {
  return std::sqrt(Mean(Map(y_true, y_pred, [](double t, double p) { return (t - p) * (t - p); })));
}

double Mae(std::span<const double> y_true, std::span<const double> y_pred) {
  return Mean(Map(y_true, y_pred, [](double t, double p) { return std::fabs(p - t); }));
}

double Mape(std::span<const double> y_true, std::span<const double> y_pred) {
  return Mean(Map(y_true, y_pred, [](double t, double p) {
    return std::fabs(p - t) / std::max(std::fabs(t), DBL_EPSILON);
  }));
}

Status R2(std::span<const double> y_true, std::span<const double> y_pred, double* out) {
  if (y_true.size() < 2) {
    return Status::InvalidArgument("r2 is undefined with less than two samples");
  }
  const double numerator =
      PairwiseSum(Map(y_true, y_pred, [](double t, double p) { return (t - p) * (t - p); }));
  // A constant target has no variance, whatever rounding the mean suffers.
  const bool constant =
      std::all_of(y_true.begin(), y_true.end(), [&](double v) { return v == y_true[0]; });
  double denominator = 0;
  if (!constant) {
    const double mean = Mean(y_true);
    std::vector<double> sq(y_true.size());
    for (size_t i = 0; i < sq.size(); ++i) sq[i] = (y_true[i] - mean) * (y_true[i] - mean);
    denominator = PairwiseSum(sq);
  }
  if (numerator == 0) {
    *out = 1.0;
  } else if (denominator == 0) {
    *out = 0.0;
  } else {
    *out = 1 - numerator / denominator;
  }
  return Status::OK();
}

Status EvaluateRegression(std::span<const double> y_true, std::span<const double> y_pred,
                          MetricSet* out) {
  if (y_true.empty()) return Status::InvalidArgument("regression metrics: empty input");
  if (y_true.size() != y_pred.size()) {
    return Status::InvalidArgument("regression metrics: " + std::to_string(y_true.size()) +
                                   " targets but " + std::to_string(y_pred.size()) +
                                   " predictions");
  }
  for (size_t i = 0; i < y_true.size(); ++i) {
    if (!std::isfinite(y_true[i]) || !std::isfinite(y_pred[i])) {
      return Status::InvalidArgument(
          "regression metrics: " + std::string(std::isfinite(y_true[i]) ? "prediction" : "target") +
          " of sample " + std::to_string(i) + " is not finite");
    }
  }
  *out = MetricSet{};
  // Finite inputs can still overflow (a huge error over a zero target).
  auto set = [&](const char* name, double value) {
    if (std::isfinite(value)) {
      out->Set(name, value);
    } else {
      out->SetUndefined(name, std::string(name) + " overflows the double range");
    }
  };
  set("rmse", Rmse(y_true, y_pred));
  set("mae", Mae(y_true, y_pred));
  double r2 = 0;
  Status st = R2(y_true, y_pred, &r2);
  if (st.ok()) {
    set("r2", r2);
  } else {
    out->SetUndefined("r2", st.message());
  }
  set("mape", Mape(y_true, y_pred));
  return Status::OK();
}

}  // namespace mlops::ml::metrics
