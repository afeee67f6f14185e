// MetricSet: the named values one evaluation produced, in report order,
// with the metrics the data leaves undefined (and why) and the warnings of
// ill-defined values that were set by convention (as scikit-learn warns).
// A metric is either a finite value or undefined with a reason: never NaN.
// Plain value; not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlops::ml::metrics {

class MetricSet {
 public:
  // Sets `name` (replacing a value or an undefined entry of that name).
  void Set(const std::string& name, double value);
  void SetUndefined(const std::string& name, const std::string& reason);
  void Warn(const std::string& message);

  std::optional<double> Get(const std::string& name) const;
  // The reason `name` is undefined, or nullptr when it is not undefined.
  const std::string* UndefinedReason(const std::string& name) const;

  const std::vector<std::pair<std::string, double>>& values() const { return values_; }
  const std::vector<std::pair<std::string, std::string>>& undefined() const { return undefined_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  std::vector<std::pair<std::string, double>> values_;
  std::vector<std::pair<std::string, std::string>> undefined_;
  std::vector<std::string> warnings_;
};

// The metrics an evaluation of each task computes, in report order.
const std::vector<std::string>& ClassificationMetricNames();
const std::vector<std::string>& RegressionMetricNames();

// Cross-validation summary: for each of `names`, <prefix><name>_mean and
// <prefix><name>_std (population standard deviation, numpy's np.std) over
// the folds where the metric is defined; undefined when no fold defines it.
MetricSet SummarizeFolds(const std::vector<MetricSet>& folds, const std::vector<std::string>& names,
                         const std::string& prefix = "cv_");

// False for losses and errors (log_loss, rmse, mae, mape), true otherwise.
// Derived names (cv_<m>_mean, champion_<m>) follow <m>; cv_<m>_std is false.
bool HigherIsBetter(const std::string& metric);

}  // namespace mlops::ml::metrics
