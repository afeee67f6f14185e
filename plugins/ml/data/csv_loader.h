// Loading a Dataset from a CSV file (plain or .gz) under a declared or
// inferred schema. Every violation is an error naming file, line and column.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "data/data_spec.h"
#include "data/dataset.h"
#include "mlops/common/status.h"

namespace mlops::ml {

Status LoadDataset(const DataSpec& spec, Dataset* out);

}  // namespace mlops::ml
