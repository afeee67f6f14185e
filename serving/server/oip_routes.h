// The Open Inference Protocol v2 REST API (KServe, Triton; docs/serving.md,
// "Server and protocols"):
//   GET  /v2, /v2/health/live, /v2/health/ready
//   GET  /v2/models/NAME[/versions/N]           model metadata
//   GET  /v2/models/NAME[/versions/N]/ready
//   POST /v2/models/NAME[/versions/N]/infer     JSON tensors: one input
//        "features" of shape [rows, columns], datatype FP32, FP64 or INT64,
//        row-major data; `id` echoed; `parameters` accepted
// Health answers carry both readings of the spec: the status code (200 true,
// 400 false) and the JSON body. Errors are {"error": "..."}.
// Thread-safety: the handlers may run on any thread.
#pragma once

#include "api/http.h"
#include "serving/server/predictor.h"
#include "serving/server/serve_metrics.h"
#include "serving/shared/serving_config.h"

namespace mlops::serving {

void AddOpenInferenceRoutes(api::Router* router, Predictor* predictor, ServeMetrics* metrics,
                            const ServingConfig& config);

}  // namespace mlops::serving
