// Reading the prediction log (docs/serving.md, "Prediction log"): a
// model's records since a time, oldest first, a page at a time. The
// reader runs beside a live writer and its bounds: a line without its
// newline yet (being written, or torn by a crash) and any line that does
// not decode are skipped and counted; a segment removed while it is read
// ends that segment's part of the page, nothing more.
// Thread-safety: a free function with no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "log/prediction_record.h"
#include "mlops/common/status.h"

namespace mlops::serving {

struct PredictionQuery {
  std::string model;
  int64_t since_ms = 0;  // records with time_ms >= since_ms
  int64_t version = 0;   // 0: every version
  size_t limit = 100;    // at most this many records (>= 1)
  // Continue after a page: its next_cursor. Empty: from since_ms.
  std::string after;
};

struct PredictionPage {
  std::vector<PredictionRecord> records;  // oldest first; schema set on each
  // Set when the page stopped at the limit (more may follow): pass it back
  // as PredictionQuery::after for the next page. Opaque.
  std::string next_cursor;
  size_t skipped_lines = 0;  // lines that did not decode (torn, damaged)
};

// `root`: <state>/serving/predictions. A model without a log gives an
// empty page. InvalidArgument for a bad model name, limit or cursor.
Status ReadPredictions(const std::string& root, const PredictionQuery& query,
                       PredictionPage* page);

}  // namespace mlops::serving
