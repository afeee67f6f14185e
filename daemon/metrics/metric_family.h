// A metric family: one name, one HELP, one TYPE, and a series per distinct
// set of label values. Families are made by a Registry (metric_registry.h),
// which checks the names; a family writes itself in the text format 0.0.4.
//
// Labels must stay bounded (pipeline, plugin, route pattern, status code:
// never a run id, a path or a user-supplied string): past `max_series`
// distinct label sets, every new set is counted in one overflow series whose
// label values are all "other", so memory stays bounded whatever callers do.
// Thread-safety: every method may be called from any thread. With() takes a
// shared lock to find an existing series; keep the returned reference to skip
// even that on a hot path (series are never removed).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "metrics/metric.h"

namespace mlops::metrics {

enum class MetricType { kCounter, kGauge, kHistogram };
const char* ToString(MetricType t);

// Prints "metrics: <message>" to stderr and aborts. For programming errors
// only (a bad name, a wrong number of label values), never for input.
[[noreturn]] void AbortMisuse(const std::string& message);

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type,
             std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Appends "# HELP", "# TYPE" and every series (ordered by label values).
  // A labelled family with no series yet writes only HELP and TYPE.
  void Write(std::string* out) const;

 protected:
  // Appends the sample lines of every series.
  virtual void WriteSamples(std::string* out) const = 0;
  // `{a="x",b="y"}` with `extra` ("le=\"0.5\"") appended; "" when empty.
  std::string LabelText(const std::vector<std::string>& values, const std::string& extra) const;

 private:
  std::string name_, help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};

template <typename M>
class Family final : public FamilyBase {
 public:
  // `bounds` only for Histogram (already checked by the Registry).
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> labels,
         std::vector<double> bounds, size_t max_series);

  // The series for these label values, one per label name in order; created
  // at zero on first use. REQUIRES: values.size() == label_names().size()
  // (checked: a mismatch is a programming error and aborts).
  M& With(const std::vector<std::string>& values);
  // The single series of a family without labels.
  M& Get() { return With({}); }
  size_t series_count() const;

 private:
  void WriteSamples(std::string* out) const override;
  std::unique_ptr<M> NewSeries() const;

  const std::vector<double> bounds_;
  const size_t max_series_;
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<M>> series_;  // protected by mu_
};

// A family without labels whose one value is read when the registry is
// scraped (process metrics, the scheduler's gauges).
class CallbackFamily final : public FamilyBase {
 public:
  CallbackFamily(std::string name, std::string help, MetricType type,
                 std::function<double()> value);

 private:
  void WriteSamples(std::string* out) const override;
  std::function<double()> value_;
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

}  // namespace mlops::metrics
