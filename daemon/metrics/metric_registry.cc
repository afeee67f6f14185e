#include "metrics/metric_registry.h"

#include <cmath>

#include "metrics/text_format.h"

namespace mlops::metrics {

void Registry::CheckNew(const std::string& name, MetricType type,
                        const std::vector<std::string>& labels) {
  if (!IsValidMetricName(name)) AbortMisuse("invalid metric name '" + name + "'");
  const bool total = name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0;
  if (type == MetricType::kCounter && !total) {
    AbortMisuse("counter " + name + " must end in _total");
  }
  if (type != MetricType::kCounter && total) {
    AbortMisuse(std::string(ToString(type)) + " " + name + " must not end in _total");
  }
  for (const auto& l : labels) {
    if (!IsValidLabelName(l)) AbortMisuse(name + ": invalid label name '" + l + "'");
    if (type == MetricType::kHistogram && l == "le") {
      AbortMisuse(name + ": a histogram cannot have a label 'le'");
    }
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    for (size_t j = i + 1; j < labels.size(); ++j) {
      if (labels[i] == labels[j]) AbortMisuse(name + ": label '" + labels[i] + "' twice");
    }
  }
  if (families_.count(name)) AbortMisuse("metric " + name + " declared twice");
}

template <typename F>
F& Registry::Insert(std::unique_ptr<F> family) {
  F& ref = *family;
  families_.emplace(family->name(), std::move(family));
  return ref;
}

Family<Counter>& Registry::AddCounter(const std::string& name, const std::string& help,
                                      std::vector<std::string> labels) {
  std::lock_guard<std::mutex> lock(mu_);
  CheckNew(name, MetricType::kCounter, labels);
  return Insert(std::make_unique<Family<Counter>>(name, help, MetricType::kCounter,
                                                  std::move(labels), std::vector<double>{},
                                                  max_series_));
}

Family<Gauge>& Registry::AddGauge(const std::string& name, const std::string& help,
                                  std::vector<std::string> labels) {
  std::lock_guard<std::mutex> lock(mu_);
  CheckNew(name, MetricType::kGauge, labels);
  return Insert(std::make_unique<Family<Gauge>>(name, help, MetricType::kGauge,
                                                std::move(labels), std::vector<double>{},
                                                max_series_));
}

Family<Histogram>& Registry::AddHistogram(const std::string& name, const std::string& help,
                                          std::vector<std::string> labels,
                                          std::vector<double> bounds) {
  std::lock_guard<std::mutex> lock(mu_);
  CheckNew(name, MetricType::kHistogram, labels);
  if (bounds.empty()) AbortMisuse(name + ": a histogram needs bucket bounds");
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      AbortMisuse(name + ": bucket bounds must be finite and strictly increasing");
    }
  }
  return Insert(std::make_unique<Family<Histogram>>(name, help, MetricType::kHistogram,
                                                    std::move(labels), std::move(bounds),
                                                    max_series_));
}

void Registry::AddCounterFunc(const std::string& name, const std::string& help,
                              std::function<double()> value) {
  std::lock_guard<std::mutex> lock(mu_);
  CheckNew(name, MetricType::kCounter, {});
  Insert(std::make_unique<CallbackFamily>(name, help, MetricType::kCounter, std::move(value)));
}

void Registry::AddGaugeFunc(const std::string& name, const std::string& help,
                            std::function<double()> value) {
  std::lock_guard<std::mutex> lock(mu_);
  CheckNew(name, MetricType::kGauge, {});
  Insert(std::make_unique<CallbackFamily>(name, help, MetricType::kGauge, std::move(value)));
}

std::string Registry::Expose() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, family] : families_) family->Write(&out);
  return out;
}

}  // namespace mlops::metrics
