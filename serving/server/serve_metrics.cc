#include "serving/server/serve_metrics.h"

#include <prometheus/text_serializer.h>

#include <mutex>

namespace mlops::serving {
namespace {

prometheus::Histogram::BucketBoundaries Seconds() {
  prometheus::Histogram::BucketBoundaries b;
  for (double ms : LatencyBoundsMs()) b.push_back(ms / 1000.0);
  return b;
}

std::string VersionLabel(int64_t v) { return v == 0 ? "" : std::to_string(v); }

}  // namespace

ServeMetrics::ServeMetrics()
    : requests_(prometheus::BuildCounter()
                    .Name("mlops_serve_requests_total")
                    .Help("Prediction and metadata requests answered, by model, version, "
                          "protocol and HTTP status")
                    .Register(registry_)),
      latency_(prometheus::BuildHistogram()
                   .Name("mlops_serve_request_duration_seconds")
                   .Help("Time from a request's arrival to its answer, by model and version")
                   .Register(registry_)),
      shadow_compared_(prometheus::BuildCounter()
                           .Name("mlops_serve_shadow_comparisons_total")
                           .Help("Canary answers compared with production's on the same rows")
                           .Register(registry_)),
      shadow_disagreed_(prometheus::BuildCounter()
                            .Name("mlops_serve_shadow_disagreements_total")
                            .Help("Compared canary answers that differ from production's")
                            .Register(registry_)),
      in_flight_(&prometheus::BuildGauge()
                      .Name("mlops_serve_in_flight_requests")
                      .Help("Requests being answered now")
                      .Register(registry_)
                      .Add({})) {}

ServeMetrics::Counters* ServeMetrics::For(const std::string& model, int64_t version) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& c = counters_[{model, version}];
  if (!c) c = std::make_unique<Counters>();
  return c.get();
}

const ServeMetrics::Series& ServeMetrics::SeriesFor(const std::string& model, int64_t version,
                                                    const char* protocol, int code) {
  const std::tuple<std::string_view, int64_t, std::string_view, int> key{model, version, protocol,
                                                                        code};
  {
    std::shared_lock<std::shared_mutex> lock(series_mu_);
    if (auto it = series_.find(key); it != series_.end()) return it->second;
  }
  const std::string v = VersionLabel(version);
  Series series{&requests_.Add({{"model", model}, {"version", v}, {"protocol", protocol},
                                {"code", std::to_string(code)}}),
                &latency_.Add({{"model", model}, {"version", v}}, Seconds()),
                version == 0 ? nullptr : For(model, version)};
  std::unique_lock<std::shared_mutex> lock(series_mu_);
  return series_.try_emplace({model, version, protocol, code}, series).first->second;
}

void ServeMetrics::Request(const std::string& model, int64_t version, const char* protocol,
                           int code, double seconds) {
  const Series& series = SeriesFor(model, version, protocol, code);
  series.requests->Increment();
  series.latency->Observe(seconds);
  Counters* c = series.counters;
  if (c == nullptr) return;
  c->requests.fetch_add(1, std::memory_order_relaxed);
  if (code >= 500) c->errors.fetch_add(1, std::memory_order_relaxed);
  if (code >= 400 && code < 500) c->client_errors.fetch_add(1, std::memory_order_relaxed);
  const double ms = seconds * 1000.0;
  const auto& bounds = LatencyBoundsMs();
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (ms <= bounds[i]) {
      c->buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
}

void ServeMetrics::Shadow(const std::string& model, int64_t version, bool disagreed) {
  const prometheus::Labels labels{{"model", model}, {"version", std::to_string(version)}};
  shadow_compared_.Add(labels).Increment();
  if (disagreed) shadow_disagreed_.Add(labels).Increment();
  Counters* c = For(model, version);
  c->shadow_compared.fetch_add(1, std::memory_order_relaxed);
  if (disagreed) c->shadow_disagreed.fetch_add(1, std::memory_order_relaxed);
}

std::string ServeMetrics::Render(const ModelSet& set) {
  // The loaded versions and canary shares describe the current set: built
  // fresh for each scrape so that a version gone is gone from /metrics.
  prometheus::Registry now;
  auto& info = prometheus::BuildGauge()
                   .Name("mlops_serve_model_version_info")
                   .Help("Model versions mlops-serve holds (1), with their state and digests")
                   .Register(now);
  auto& share = prometheus::BuildGauge()
                    .Name("mlops_serve_canary_share_percent")
                    .Help("Share of a model's requests its canary version answers")
                    .Register(now);
  for (const auto& [name, m] : set.models) {
    for (const auto& [v, lv] : m.versions) {
      info.Add({{"model", name}, {"version", std::to_string(v)}, {"state", lv->state},
                {"artifact_sha256", lv->artifact_sha256}, {"key_id", lv->key_id}})
          .Set(1);
    }
    if (m.canary != 0) {
      share.Add({{"model", name}, {"version", std::to_string(m.canary)}})
          .Set(m.canary_share_percent);
    }
  }
  auto families = registry_.Collect();
  for (auto& f : now.Collect()) families.push_back(std::move(f));
  return prometheus::TextSerializer().Serialize(families);
}

void ServeMetrics::Fill(const ModelSet& set, ServeStats* stats) {
  stats->models.clear();
  for (const auto& [name, m] : set.models) {
    ModelStats& ms = stats->models[name];
    ms.production = m.production;
    ms.canary = m.canary;
    ms.canary_share_percent = m.canary_share_percent;
    for (const auto& [v, lv] : m.versions) {
      VersionStats& vs = ms.versions[v];
      vs.state = lv->state;
      vs.reason = lv->reason;
      vs.artifact_sha256 = lv->artifact_sha256;
      vs.key_id = lv->key_id;
      Counters* c = For(name, v);
      vs.requests = c->requests.load();
      vs.errors = c->errors.load();
      vs.client_errors = c->client_errors.load();
      vs.shadow_compared = c->shadow_compared.load();
      vs.shadow_disagreed = c->shadow_disagreed.load();
      vs.latency_le_ms = LatencyBoundsMs();
      int64_t cumulative = 0;
      for (auto& b : c->buckets) vs.latency_counts.push_back(cumulative += b.load());
      vs.latency_counts.push_back(vs.requests);
    }
  }
}

}  // namespace mlops::serving
