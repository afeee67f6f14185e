// ServingConfig: the `serving:` section of mlopsd's config file, read by both
// mlopsd (which supervises mlops-serve) and mlops-serve itself, so the two
// can never disagree about what a key means. Keys and defaults are listed in
// docs/config.md ("serving"). Every error names file:line:column; an unknown
// key is refused with a did-you-mean hint, as in the rest of the file.
// Thread-safety: pure functions over values.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "log/prediction_log_options.h"
#include "mlops/common/status.h"

namespace mlops::serving {

struct ServingConfig {
  std::string listen = "127.0.0.1:8766";
  int threads = 16;                    // HTTP worker threads
  int64_t max_batch_rows = 1024;       // rows in one prediction request
  int64_t max_body_mb = 16;            // request body limit
  bool anonymous_predict = false;      // predict without a token (loopback listen only)
  std::vector<std::string> predict_roles = {"predictor", "operator", "admin"};
  std::chrono::milliseconds reload_interval{200};  // registry poll
  PredictionLogOptions prediction_log;  // serving/log (docs/serving.md, "Prediction log")
  std::chrono::milliseconds restart_backoff_max{std::chrono::seconds(30)};  // mlopsd supervision
};

// Reads the value of a `serving:` key (a mapping; null keeps the defaults)
// over *out. Every problem is reported at once, one per line.
Status ParseServingConfig(const std::string& file, const YAML::Node& node, ServingConfig* out);

// Whether HOST of "HOST:PORT" is a loopback address (127.0.0.0/8, ::1,
// localhost).
bool IsLoopbackListen(const std::string& listen);

// What mlops-serve takes from mlopsd's config file: the `serving:` section,
// `state_dir` and `tls`. Other top-level keys are mlopsd's and are neither
// read nor validated here.
struct ServeFileConfig {
  ServingConfig serving;
  bool has_serving = false;
  std::string state_dir;
  std::string tls_cert, tls_key;
};
Status LoadServeFileConfig(const std::string& path, ServeFileConfig* out);

}  // namespace mlops::serving
