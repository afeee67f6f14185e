#include "model/quantize.h"

#include "model/half.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace mlops::ml {

Status QuantizeModel(const MlpModel& in, MlpModel* out) {
  MlpModel q = in;
  for (size_t li = 0; li < q.layers.size(); ++li) {
    DenseLayer& l = q.layers[li];
    if (l.quantized()) continue;
    l.qweight.assign(l.out * l.in, 0);
    l.scale.assign(l.out, 1.0f);
    for (size_t o = 0; o < l.out; ++o) {
      const float* w = l.weight.data() + o * l.in;
      float max_abs = 0.0f;
      for (size_t i = 0; i < l.in; ++i) {
        if (!std::isfinite(w[i])) {
          return Status::InvalidArgument("layer " + std::to_string(li) + " channel " +
                                         std::to_string(o) + ": weight is not finite");
        }
        max_abs = std::max(max_abs, std::fabs(w[i]));
      }
      // A scale in the normal range of a half is rounded to one (the file
      // then stores it in 2 bytes); the weights are quantized with the
      // rounded value, so the file holds exactly what was used.
      float scale = max_abs > 0.0f ? max_abs / 127.0f : 1.0f;
      const float half = RoundToHalf(scale);
      if (half >= 6.103515625e-05f && std::isfinite(half)) scale = half;
      l.scale[o] = scale;
      for (size_t i = 0; i < l.in; ++i) {
        const float v = std::clamp(std::nearbyint(w[i] / scale), -127.0f, 127.0f);
        l.qweight[o * l.in + i] = static_cast<int8_t>(v);
      }
    }
    for (float& b : l.bias) {
      if (std::fabs(b) < 65504.0f) b = RoundToHalf(b);
    }
    l.weight.clear();
    l.weight.shrink_to_fit();
  }
  *out = std::move(q);
  return Status::OK();
}

}  // namespace mlops::ml
