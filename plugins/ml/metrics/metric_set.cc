#include "metrics/metric_set.h"

#include <algorithm>
#include <cmath>

#include "metrics/summation.h"

namespace mlops::ml::metrics {

namespace {

template <typename V>
void Erase(std::vector<std::pair<std::string, V>>* v, const std::string& name) {
  std::erase_if(*v, [&](const auto& e) { return e.first == name; });
}

std::string BaseName(const std::string& metric) {
  std::string m = metric;
  for (const char* prefix : {"cv_", "champion_"}) {
    if (m.starts_with(prefix)) m = m.substr(std::string(prefix).size());
  }
  for (const char* suffix : {"_mean", "_std"}) {
    if (m.ends_with(suffix)) m = m.substr(0, m.size() - std::string(suffix).size());
  }
  return m;
}

}  // namespace

void MetricSet::Set(const std::string& name, double value) {
  Erase(&undefined_, name);
  for (auto& [n, v] : values_) {
    if (n == name) {
      v = value;
      return;
    }
  }
  values_.emplace_back(name, value);
}

void MetricSet::SetUndefined(const std::string& name, const std::string& reason) {
  Erase(&values_, name);
  Erase(&undefined_, name);
  undefined_.emplace_back(name, reason);
}

void MetricSet::Warn(const std::string& message) {
  if (std::find(warnings_.begin(), warnings_.end(), message) == warnings_.end()) {
    warnings_.push_back(message);
  }
}

std::optional<double> MetricSet::Get(const std::string& name) const {
  for (const auto& [n, v] : values_) {
    if (n == name) return v;
  }
  return std::nullopt;
}

const std::string* MetricSet::UndefinedReason(const std::string& name) const {
  for (const auto& [n, r] : undefined_) {
    if (n == name) return &r;
  }
  return nullptr;
}

const std::vector<std::string>& ClassificationMetricNames() {
  static const std::vector<std::string> kNames = {
      "accuracy",     "precision", "recall",  "f1",     "precision_macro",
      "recall_macro", "f1_macro",  "roc_auc", "pr_auc", "log_loss"};
  return kNames;
}

const std::vector<std::string>& RegressionMetricNames() {
  static const std::vector<std::string> kNames = {"rmse", "mae", "r2", "mape"};
  return kNames;
}

MetricSet SummarizeFolds(const std::vector<MetricSet>& folds, const std::vector<std::string>& names,
                         const std::string& prefix) {
  MetricSet out;
  for (const std::string& name : names) {
    std::vector<double> values;
    std::string reason = "no fold";
    for (const MetricSet& f : folds) {
      if (std::optional<double> v = f.Get(name)) {
        values.push_back(*v);
      } else if (const std::string* why = f.UndefinedReason(name)) {
        reason = *why;
      }
    }
    const std::string mean_name = prefix + name + "_mean", std_name = prefix + name + "_std";
    if (values.empty()) {
      out.SetUndefined(mean_name, reason);
      out.SetUndefined(std_name, reason);
      continue;
    }
    if (values.size() < folds.size()) {
      out.Warn(name + " is undefined in " + std::to_string(folds.size() - values.size()) + " of " +
               std::to_string(folds.size()) + " folds (" + reason + "); " + mean_name +
               " is over the others");
    }
    const double mean = Mean(values);
    std::vector<double> sq(values.size());
    for (size_t i = 0; i < values.size(); ++i) sq[i] = (values[i] - mean) * (values[i] - mean);
    out.Set(mean_name, mean);
    out.Set(std_name, std::sqrt(Mean(sq)));
  }
  return out;
}

bool HigherIsBetter(const std::string& metric) {
  if (metric.ends_with("_std")) return false;  // a smaller spread is better
  const std::string base = BaseName(metric);
  return base != "log_loss" && base != "rmse" && base != "mae" && base != "mape";
}

}  // namespace mlops::ml::metrics
