// Post-training INT8 quantization of an MlpModel's dense layers: per output
// channel, symmetric (scale = max |w| / 127, zero point 0); biases kept
// in half precision like the scales (model/half.h). Activations are
// quantized at inference, per row (dynamic).
#pragma once

#include "mlops/common/status.h"
#include "model/mlp_model.h"

namespace mlops::ml {

// *out = `in` with every float layer quantized; an already quantized
// layer is kept. Errors when a weight is not finite.
Status QuantizeModel(const MlpModel& in, MlpModel* out);

}  // namespace mlops::ml
