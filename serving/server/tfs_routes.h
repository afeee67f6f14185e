// TensorFlow Serving's REST API (docs/serving.md, "Server and protocols"):
//   GET  /v1/models/NAME[/versions/N]            model status
//   GET  /v1/models/NAME[/versions/N]/metadata   signature "serving_default"
//   POST /v1/models/NAME[/versions/N]:predict    row ("instances") or
//                                                columnar ("inputs") format
// with the spec's request and response shapes and its {"error": "..."}
// answers. Bodies are read in TF-Serving's JSON dialect (request_json.h).
// Thread-safety: the handlers may run on any thread.
#pragma once

#include "api/http.h"
#include "serving/server/predictor.h"
#include "serving/server/serve_metrics.h"
#include "serving/shared/serving_config.h"

namespace mlops::serving {

void AddTfServingRoutes(api::Router* router, Predictor* predictor, ServeMetrics* metrics,
                        const ServingConfig& config);

}  // namespace mlops::serving
