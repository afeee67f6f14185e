// ServeApp: mlops-serve assembled. It opens the state folder's registry
// read-only, watches it for the models to serve (model_watcher.h), answers
// both protocols and /metrics on one listener (the API's HttpServer, with
// its slow-client guard), writes <state>/mlops-serve.addr once it answers
// and <state>/serving/stats.json every second, keeps the prediction log
// under <state>/serving/predictions, and writes nothing else.
// Thread-safety: Start/Stop from one thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "api/http_server.h"
#include "log/prediction_log.h"
#include "mlops/common/clock.h"
#include "mlops/registry/model_registry.h"
#include "mlops/registry/token_store.h"
#include "serving/server/model_watcher.h"
#include "serving/server/predictor.h"
#include "serving/server/serve_metrics.h"
#include "serving/server/token_cache.h"
#include "serving/shared/serving_config.h"

namespace mlops::serving {

struct ServeAppOptions {
  std::string state_dir;
  ServingConfig serving;
  std::string tls_cert, tls_key;  // both or neither
  // Where served requests are offered; unset: the prediction log under
  // <state>/serving/predictions with serving.prediction_log's options.
  PredictionSink prediction_log;
  // Where canaries come from; null: the registry's canary table.
  CanarySource* canaries = nullptr;
};

class ServeApp {
 public:
  explicit ServeApp(ServeAppOptions options);
  ~ServeApp();

  // Opens the registry, loads what is in production, starts listening and
  // writes the address file.
  Status Start();
  std::string BoundAddress() const { return http_ ? http_->BoundAddress() : ""; }
  // Drains in-flight requests, stops the listener and the watcher, and
  // writes the stats a last time.
  void Stop();

 private:
  void StatsLoop();
  void WriteStats();

  ServeAppOptions options_;
  SystemClock clock_;
  std::unique_ptr<registry::ModelRegistry> registry_;
  std::unique_ptr<registry::TokenStore> tokens_;
  std::unique_ptr<TokenCache> token_cache_;
  std::unique_ptr<CanarySource> registry_canaries_;
  std::unique_ptr<ModelWatcher> watcher_;
  std::unique_ptr<PredictionLog> prediction_log_;
  ServeMetrics metrics_;
  std::unique_ptr<Predictor> predictor_;
  api::Router router_;
  std::unique_ptr<api::HttpServer> http_;
  int64_t started_ms_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread stats_thread_;
};

}  // namespace mlops::serving
