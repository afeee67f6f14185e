#include "metrics/metric_family.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <type_traits>

#include "metrics/text_format.h"

namespace mlops::metrics {

const char* ToString(MetricType t) {
  switch (t) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}

void AbortMisuse(const std::string& message) {
  std::fprintf(stderr, "metrics: %s\n", message.c_str());
  std::abort();
}

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type,
                       std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)) {}

void FamilyBase::Write(std::string* out) const {
  *out += "# HELP " + name_ + " " + EscapeHelp(help_) + "\n";
  *out += "# TYPE " + name_ + " " + ToString(type_) + "\n";
  WriteSamples(out);
}

std::string FamilyBase::LabelText(const std::vector<std::string>& values,
                                  const std::string& extra) const {
  if (values.empty() && extra.empty()) return "";
  std::string s = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) s += ",";
    s += label_names_[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
  }
  if (!extra.empty()) s += (values.empty() ? "" : ",") + extra;
  return s + "}";
}

template <typename M>
Family<M>::Family(std::string name, std::string help, MetricType type,
                  std::vector<std::string> labels, std::vector<double> bounds, size_t max_series)
    : FamilyBase(std::move(name), std::move(help), type, std::move(labels)),
      bounds_(std::move(bounds)),
      max_series_(max_series) {
  // An unlabelled family has exactly one series, shown from the start.
  if (label_names().empty()) series_.emplace(std::vector<std::string>{}, NewSeries());
}

template <typename M>
std::unique_ptr<M> Family<M>::NewSeries() const {
  if constexpr (std::is_same_v<M, Histogram>) {
    return std::make_unique<Histogram>(&bounds_);
  } else {
    return std::make_unique<M>();
  }
}

template <typename M>
M& Family<M>::With(const std::vector<std::string>& values) {
  if (values.size() != label_names().size()) {
    AbortMisuse(name() + " takes " + std::to_string(label_names().size()) +
                " label value(s), got " + std::to_string(values.size()));
  }
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = series_.find(values);
    if (it != series_.end()) return *it->second;
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto it = series_.find(values);
  if (it != series_.end()) return *it->second;
  if (series_.size() >= max_series_) {
    std::vector<std::string> other(values.size(), "other");
    auto& slot = series_[other];
    if (!slot) slot = NewSeries();
    return *slot;
  }
  return *series_.emplace(values, NewSeries()).first->second;
}

template <typename M>
size_t Family<M>::series_count() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return series_.size();
}

template <typename M>
void Family<M>::WriteSamples(std::string* out) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  for (const auto& [values, series] : series_) {
    if constexpr (std::is_same_v<M, Histogram>) {
      const Histogram::Snapshot snap = series->Read();
      for (size_t i = 0; i < snap.cumulative.size(); ++i) {
        const std::string le = i < bounds_.size() ? FormatValue(bounds_[i]) : "+Inf";
        *out += name() + "_bucket" + LabelText(values, "le=\"" + le + "\"") + " " +
                std::to_string(snap.cumulative[i]) + "\n";
      }
      const std::string labels = LabelText(values, "");
      *out += name() + "_sum" + labels + " " + FormatValue(snap.sum) + "\n";
      *out += name() + "_count" + labels + " " + std::to_string(snap.count) + "\n";
    } else {
      *out += name() + LabelText(values, "") + " " + FormatValue(series->Value()) + "\n";
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

CallbackFamily::CallbackFamily(std::string name, std::string help, MetricType type,
                               std::function<double()> value)
    : FamilyBase(std::move(name), std::move(help), type, {}), value_(std::move(value)) {}

void CallbackFamily::WriteSamples(std::string* out) const {
  *out += name() + " " + FormatValue(value_()) + "\n";
}

}  // namespace mlops::metrics
