// IEEE 754 binary16 ("half") conversion, for the per-channel scales and the
// biases of INT8 layers: 2 bytes each instead of 4, with a relative
// rounding error below 2^-11 (far under the INT8 weights' own error).
#pragma once

#include <cstdint>

namespace mlops::ml {

uint16_t FloatToHalf(float value);  // round to nearest even; overflow -> inf
float HalfToFloat(uint16_t half);
// The nearest value a half can hold.
inline float RoundToHalf(float value) { return HalfToFloat(FloatToHalf(value)); }

}  // namespace mlops::ml
