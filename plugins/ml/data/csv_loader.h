// Loading a Dataset from a CSV file (plain or .gz) under a declared or
// inferred schema (data_spec.h; the layouts are in docs/ml/data.md).
// Every violation is an error naming file, line and column. Stateless;
// safe to call from several threads on different outputs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "data/data_spec.h"
#include "data/dataset.h"
#include "data/impute.h"
#include "mlops/common/status.h"

namespace mlops::ml {

// Reads spec.path (and spec.label_path) into *out. On success *out holds
// rows x cols features (NaN where a column with allow_missing had no value;
// see ImputeMissing in data/impute.h) and one label per row: a class index
// into out->classes, or the regression target. On failure *out is untouched
// and the message reads "FILE:LINE:COLUMN: what, expected what" (column =
// 1-based field number):
//   NotFound   the file does not exist;
//   IOError    it cannot be read, or its gzip stream is corrupt or truncated;
//   InvalidArgument  anything wrong with its content or with the spec
//              against it (unknown column names, label, counts, values).
Status LoadDataset(const DataSpec& spec, Dataset* out);

}  // namespace mlops::ml
