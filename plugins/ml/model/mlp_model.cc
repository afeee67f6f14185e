#include "model/mlp_model.h"

#include <algorithm>
#include <cmath>

namespace mlops::ml {

const char* ToString(Activation a) {
  switch (a) {
    case Activation::kRelu: return "relu";
    case Activation::kTanh: return "tanh";
    case Activation::kSigmoid: return "sigmoid";
  }
  return "relu";
}

bool ParseActivation(const std::string& text, Activation* out) {
  if (text == "relu") *out = Activation::kRelu;
  else if (text == "tanh") *out = Activation::kTanh;
  else if (text == "sigmoid") *out = Activation::kSigmoid;
  else return false;
  return true;
}

bool MlpModel::quantized() const {
  return std::any_of(layers.begin(), layers.end(), [](const DenseLayer& l) { return l.quantized(); });
}

namespace {

void Activate(Activation a, std::vector<float>& v) {
  switch (a) {
    case Activation::kRelu:
      for (float& x : v) x = x > 0.0f ? x : 0.0f;
      break;
    case Activation::kTanh:
      for (float& x : v) x = std::tanh(x);
      break;
    case Activation::kSigmoid:
      for (float& x : v) x = 1.0f / (1.0f + std::exp(-x));
      break;
  }
}

void ForwardFloat(const DenseLayer& l, const std::vector<float>& in, std::vector<float>* out) {
  out->assign(l.out, 0.0f);
  for (size_t o = 0; o < l.out; ++o) {
    const float* w = l.weight.data() + o * l.in;
    float acc = 0.0f;
    for (size_t i = 0; i < l.in; ++i) acc += w[i] * in[i];
    (*out)[o] = acc + l.bias[o];
  }
}

// Dynamic quantization: the input row gets one symmetric INT8 scale from
// its largest magnitude; products accumulate in int32.
void ForwardInt8(const DenseLayer& l, const std::vector<float>& in, std::vector<int8_t>* qin,
                 std::vector<float>* out) {
  float max_abs = 0.0f;
  for (float x : in) max_abs = std::max(max_abs, std::fabs(x));
  const float in_scale = max_abs > 0.0f ? max_abs / 127.0f : 1.0f;
  const float inv = 1.0f / in_scale;
  qin->resize(l.in);
  for (size_t i = 0; i < l.in; ++i) {
    // Round half away from zero: |in[i] * inv| <= 127 by construction.
    const float v = in[i] * inv;
    (*qin)[i] = static_cast<int8_t>(static_cast<int>(v + (v >= 0.0f ? 0.5f : -0.5f)));
  }
  out->assign(l.out, 0.0f);
  for (size_t o = 0; o < l.out; ++o) {
    const int8_t* w = l.qweight.data() + o * l.in;
    int32_t acc = 0;
    for (size_t i = 0; i < l.in; ++i) acc += static_cast<int32_t>(w[i]) * (*qin)[i];
    (*out)[o] = static_cast<float>(acc) * in_scale * l.scale[o] + l.bias[o];
  }
}

}  // namespace

void MlpModel::Predict(const float* x, size_t rows, std::vector<double>* out) const {
  const size_t n_in = inputs();
  const size_t n_out = outputs();
  out->assign(rows * n_out, 0.0);
  std::vector<float> h, next;
  std::vector<int8_t> qbuf;
  for (size_t r = 0; r < rows; ++r) {
    const float* row = x + r * n_in;
    h.resize(n_in);
    for (size_t i = 0; i < n_in; ++i) {
      const float sd = feature_std[i] > 0.0f ? feature_std[i] : 1.0f;
      float v = (row[i] - feature_mean[i]) / sd;
      if (std::isnan(v)) v = 0.0f;  // a missing value is imputed with the train mean
      h[i] = v;
    }
    for (size_t li = 0; li < layers.size(); ++li) {
      const DenseLayer& l = layers[li];
      if (l.quantized()) ForwardInt8(l, h, &qbuf, &next);
      else ForwardFloat(l, h, &next);
      if (li + 1 < layers.size()) Activate(activation, next);
      h.swap(next);
    }
    double* dst = out->data() + r * n_out;
    if (task == Task::kRegression) {
      dst[0] = static_cast<double>(h[0]) * target_std + target_mean;
      continue;
    }
    // Softmax in double, shifted by the max for stability.
    double mx = h[0];
    for (size_t k = 1; k < n_out; ++k) mx = std::max(mx, static_cast<double>(h[k]));
    double sum = 0.0;
    for (size_t k = 0; k < n_out; ++k) {
      dst[k] = std::exp(static_cast<double>(h[k]) - mx);
      sum += dst[k];
    }
    for (size_t k = 0; k < n_out; ++k) dst[k] /= sum;
  }
}

}  // namespace mlops::ml
