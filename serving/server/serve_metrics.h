// ServeMetrics: mlops-serve's figures, for /metrics (Prometheus text through
// prometheus-cpp's core library and TextSerializer) and for the stats file
// (serving/shared/serve_stats.h) mlopsd reads. Families (docs/serving.md):
//   mlops_serve_requests_total{model,version,protocol,code}
//   mlops_serve_request_duration_seconds{model,version} (histogram)
//   mlops_serve_in_flight_requests
//   mlops_serve_model_version_info{model,version,state,artifact_sha256,key_id} = 1
//   mlops_serve_canary_share_percent{model,version}
//   mlops_serve_shadow_comparisons_total{model,version},
//   mlops_serve_shadow_disagreements_total{model,version}
// A request that names no served model is counted with model and version
// empty, so clients cannot grow the label sets.
// A request's series (its labels' counter and histogram, and the version's
// counters) are looked up once per (model, version, protocol, code) and
// kept: families never drop a series, so the pointers stay valid.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <tuple>
#include <string>

#include "serving/server/model_set.h"
#include "serving/shared/serve_stats.h"

namespace mlops::serving {

class ServeMetrics {
 public:
  ServeMetrics();

  // One answered request. version 0: none answered it.
  void Request(const std::string& model, int64_t version, const char* protocol, int code,
               double seconds);
  void Shadow(const std::string& model, int64_t version, bool disagreed);
  void InFlight(int delta) { in_flight_->Increment(delta); }

  std::string Render(const ModelSet& set);
  // The models, versions and counters of `set` into *stats.
  void Fill(const ModelSet& set, ServeStats* stats);

 private:
  struct Counters {
    std::atomic<int64_t> requests{0}, errors{0}, client_errors{0};
    std::atomic<int64_t> shadow_compared{0}, shadow_disagreed{0};
    std::vector<std::atomic<int64_t>> buckets;  // per bound, not cumulative
    Counters() : buckets(LatencyBoundsMs().size()) {}
  };
  Counters* For(const std::string& model, int64_t version);

  // What one (model, version, protocol, code) counts into.
  struct Series {
    prometheus::Counter* requests;
    prometheus::Histogram* latency;
    Counters* counters;  // null for version 0
  };
  const Series& SeriesFor(const std::string& model, int64_t version, const char* protocol,
                          int code);

  prometheus::Registry registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Counter>& shadow_compared_;
  prometheus::Family<prometheus::Counter>& shadow_disagreed_;
  prometheus::Gauge* in_flight_;

  std::mutex mu_;  // guards counters_' map, not the counters
  std::map<std::pair<std::string, int64_t>, std::unique_ptr<Counters>> counters_;

  std::shared_mutex series_mu_;  // guards series_' map; entries never change
  std::map<std::tuple<std::string, int64_t, std::string, int>, Series, std::less<>> series_;
};

}  // namespace mlops::serving
