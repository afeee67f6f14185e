// The prediction log route: GET /api/v1/serving/predictions/{name} reads
// what mlops-serve logged of a model's requests (docs/serving.md,
// "Prediction log"), oldest first, a page at a time.
// Query: since (a duration back from now such as "1h", an RFC 3339 UTC
// time "2026-12-07T15:00:00Z", or milliseconds since the epoch; default:
// the whole log), limit (1..10000, default 100), version, after (the
// previous page's next_cursor). Answer: {"model", "since_ms",
// "schemas": {"<version>": {"task", "feature_names"[, "classes"]}},
// "records": [{"time_ms", "version", "protocol"[, "id"], "inputs",
// "outputs"}], "next_cursor" (null on the last page), "skipped_lines"}.
// Operator role (route_policy.cc): the inputs are users' data.
#pragma once

#include <string>

#include "api/http.h"
#include "mlops/common/clock.h"

namespace mlops::api {

// `predictions_root`: <state>/serving/predictions. REQUIRES: `clock`
// outlives the router.
void AddPredictionLogRoutes(std::string predictions_root, Clock* clock, Router* router);

// Parses the `since` forms above into milliseconds since the epoch;
// `now_ms` anchors durations. False with *error saying what was expected.
bool ParseSince(const std::string& text, int64_t now_ms, int64_t* out, std::string* error);

}  // namespace mlops::api
