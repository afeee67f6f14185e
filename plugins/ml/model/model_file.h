// Reading and writing an MlpModel as one self-describing file: a magic
// line, a JSON header (everything but the weights, with each tensor's
// dtype, shape and byte offset) and little-endian tensor data. Any language
// can read it; a damaged or foreign file is refused with the reason.
#pragma once

#include <string>

#include "mlops/common/status.h"
#include "model/mlp_model.h"

namespace mlops::ml {

inline constexpr const char* kModelMediaType = "application/vnd.mlopsd.mlp";

Status SaveModel(const MlpModel& model, const std::string& path);  // atomic
Status LoadModel(const std::string& path, MlpModel* model);
// The same from the file's bytes (a caller that hashed exactly what it
// loads); `name` is what errors call it.
Status ParseModel(const std::string& bytes, const std::string& name, MlpModel* model);

}  // namespace mlops::ml
