// MlpModel: a trained multi-layer perceptron as plain data, with the
// standardisation fitted on the training split, and its inference on the
// CPU without libtorch (so the evaluator, the quantizer and serving code need
// no torch). Dense layers hold float weights, or INT8 weights with one
// symmetric scale per output channel (quantizer); a quantized layer
// quantizes its input activations per row at inference (dynamic).
//
// File format (model_file.h): see docs/ml-plugins.md, "Model file".
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace mlops::ml {

enum class Activation { kRelu, kTanh, kSigmoid };
const char* ToString(Activation a);
bool ParseActivation(const std::string& text, Activation* out);

struct DenseLayer {
  size_t in = 0;
  size_t out = 0;
  std::vector<float> weight;  // out * in, row-major (float layers)
  std::vector<float> bias;    // out
  // INT8 layers: weight is empty, qweight holds out * in values and
  // scale[o] is output channel o's scale (w ~= qweight * scale).
  std::vector<int8_t> qweight;
  std::vector<float> scale;
  bool quantized() const { return !qweight.empty(); }
};

struct MlpModel {
  Task task = Task::kClassification;
  std::vector<std::string> feature_names;
  std::string label_name;
  std::vector<std::string> classes;  // classification
  std::vector<float> feature_mean;   // standardisation: (x - mean) / std
  std::vector<float> feature_std;
  double target_mean = 0.0;          // regression: y = out * target_std + target_mean
  double target_std = 1.0;
  Activation activation = Activation::kRelu;
  std::vector<DenseLayer> layers;    // hidden layers then the output layer
  // What made it: data spec, split spec, hyperparameters, device, data
  // digest, epochs... Written into the file as is.
  nlohmann::json provenance = nlohmann::json::object();

  size_t inputs() const { return feature_names.size(); }
  // Classification: number of classes; regression: 1.
  size_t outputs() const { return layers.empty() ? 0 : layers.back().out; }
  bool quantized() const;

  // Classification: rows * classes probabilities (softmax), row-major.
  // Regression: rows predicted targets. x is rows * inputs() raw features.
  void Predict(const float* x, size_t rows, std::vector<double>* out) const;
};

}  // namespace mlops::ml
