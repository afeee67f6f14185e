// Registry: the set of metric families the daemon exposes on /metrics.
// Families are declared once at start-up (wired in main, not registered by
// static initialisers) and live as long as the registry.
//
// Names are checked when declared, because a bad one is a programming error
// that would only surface as a scrape failure: a name must be a valid metric
// name, unique, a counter's must end in `_total`, label names must be valid
// and a histogram may not use `le`. Any violation aborts with a message.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/metric_family.h"

namespace mlops::metrics {

class Registry {
 public:
  // Series a labelled family keeps before it folds new label sets into its
  // "other" series (metric_family.h).
  static constexpr size_t kDefaultMaxSeries = 2000;

  Family<Counter>& AddCounter(const std::string& name, const std::string& help,
                              std::vector<std::string> labels = {});
  Family<Gauge>& AddGauge(const std::string& name, const std::string& help,
                          std::vector<std::string> labels = {});
  // REQUIRES: `bounds` non-empty, finite and strictly increasing (checked).
  Family<Histogram>& AddHistogram(const std::string& name, const std::string& help,
                                  std::vector<std::string> labels, std::vector<double> bounds);
  // Unlabelled families whose value `value()` returns at each scrape; it
  // must be safe to call from any thread and must not block for long.
  void AddCounterFunc(const std::string& name, const std::string& help,
                      std::function<double()> value);
  void AddGaugeFunc(const std::string& name, const std::string& help,
                    std::function<double()> value);

  // Every family in the text exposition format 0.0.4, ordered by name.
  std::string Expose() const;

  // Series cap of the families declared from now on (tests lower it).
  void set_max_series(size_t n) { max_series_ = n; }

 private:
  void CheckNew(const std::string& name, MetricType type, const std::vector<std::string>& labels);
  template <typename F>
  F& Insert(std::unique_ptr<F> family);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<FamilyBase>> families_;  // protected by mu_
  size_t max_series_ = kDefaultMaxSeries;
};

}  // namespace mlops::metrics
