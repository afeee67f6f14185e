// The data a model was trained on, found again from its provenance: the
// data spec, the digest of the file, and the split spec. Stages after the
// trainer (evaluator, quantizer) score on exactly the trainer's test split.
#pragma once

#include <string>

#include "data/dataset.h"
#include "data/split.h"
#include "mlops/common/status.h"
#include "model/mlp_model.h"

namespace mlops::ml {

// Loads the data set named in model.provenance["data"] (or `data_override`
// when it is an object: a DataSpec as JSON, relative paths against
// base_dir), checks that the file's SHA-256 still equals the recorded
// `data_sha256` (skipped for an override), and rebuilds the split.
Status LoadModelData(const MlpModel& model, const nlohmann::json& data_override,
                     const std::string& base_dir, Dataset* data, Split* split);

// model.Predict on `rows` of data: rows x classes probabilities, or one
// value per row. REQUIRES: data.cols == model.inputs().
std::vector<double> PredictRows(const MlpModel& model, const Dataset& data, const std::vector<size_t>& rows);

}  // namespace mlops::ml
