// PredictionLogOptions: the settings of the prediction log, the `serving:
// prediction_log:` section of the config (docs/serving.md, "Prediction log").
// The YAML keys map one to one onto the first five fields; the rest are
// tuning knobs with no config key (tests and benchmarks set them).
// Plain values; CheckPredictionLogOptions says whether a set is usable.
// Thread-safety: immutable once built.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "mlops/common/status.h"

namespace mlops::serving {

struct PredictionLogOptions {
  // `enabled`: false logs nothing, starts no thread and creates no file.
  bool enabled = true;
  // `sample_rate`: the share of requests considered for the log, 0..1
  // (each request independently; 1 = every request).
  double sample_rate = 1.0;
  // `max_rows_per_second`: a token bucket over the rows of sampled
  // requests; a request is logged whole or not at all. 0 = no cap.
  int64_t max_rows_per_second = 1000;
  // `max_size_mb`: bound of the whole log (every model) in MiB; the oldest
  // segment is dropped first. Must be >= 1.
  int64_t max_size_mb = 1024;
  // `max_age`: segments whose newest record is older are dropped.
  // 0 = no age limit.
  std::chrono::milliseconds max_age{std::chrono::hours(24 * 7)};

  // Requests waiting for the writer; Offer drops (and counts) beyond it.
  size_t queue_records = 4096;
  // Bytes of rows and outputs waiting for the writer (same rule).
  size_t queue_bytes = 32u << 20;
  // A segment is closed at this size, or this long after its first record
  // (0 = max_size / 16, between 64 KiB and 64 MiB).
  int64_t segment_bytes = 0;
  std::chrono::milliseconds segment_duration{std::chrono::hours(1)};
};

// OK, or InvalidArgument naming the key and the accepted range
// ("sample_rate must be between 0 and 1, got 1.5"). The caller adds where
// the value came from (file:line:column).
Status CheckPredictionLogOptions(const PredictionLogOptions& options);

}  // namespace mlops::serving
