// Writes the model target's seed corpus: small .mlp files made by
// SaveModel (the shapes of tests/ml/model's fixtures: a tiny classifier, its
// INT8 quantization, a regression model), and the decompressed body of each,
// which the model target takes as a body to wrap (model_fuzz.cc).
//   fuzz_model_seeds OUTPUT_DIR
#include <zlib.h>

#include <cstdio>
#include <string>

#include "mlops/common/files.h"
#include "model/mlp_model.h"
#include "model/model_file.h"
#include "model/quantize.h"

namespace {

using mlops::ml::DenseLayer;
using mlops::ml::MlpModel;

DenseLayer Layer(size_t in, size_t out, float start) {
  DenseLayer l;
  l.in = in;
  l.out = out;
  for (size_t i = 0; i < in * out; ++i) l.weight.push_back(start + 0.25f * static_cast<float>(i));
  for (size_t i = 0; i < out; ++i) l.bias.push_back(0.125f * static_cast<float>(i));
  return l;
}

MlpModel Classifier() {
  MlpModel m;
  m.task = mlops::ml::Task::kClassification;
  m.feature_names = {"a", "b"};
  m.label_name = "y";
  m.classes = {"no", "yes"};
  m.feature_mean = {1.0f, 0.0f};
  m.feature_std = {2.0f, 1.0f};
  m.layers = {Layer(2, 2, -0.5f), Layer(2, 2, 0.3f)};
  m.provenance = {{"run_id", 7}, {"pipeline", "iris-mlp"}};
  return m;
}

MlpModel Regressor() {
  MlpModel m;
  m.task = mlops::ml::Task::kRegression;
  m.activation = mlops::ml::Activation::kTanh;
  m.feature_names = {"age", "bmi", "bp"};
  m.label_name = "progression";
  m.feature_mean = {0.1f, 0.2f, 0.3f};
  m.feature_std = {1.5f, 2.5f, 3.5f};
  m.target_mean = 152.1;
  m.target_std = 77.0;
  m.layers = {Layer(3, 4, 0.1f), Layer(4, 1, -0.2f)};
  return m;
}

bool Write(const std::string& dir, const std::string& name, const MlpModel& m) {
  const std::string path = dir + "/" + name + ".mlp";
  std::string file;
  if (!mlops::ml::SaveModel(m, path).ok() || !mlops::ReadFile(path, &file).ok()) return false;
  // The body: its length is at byte 12, the deflated stream from byte 20.
  uLongf size = 0;
  for (int i = 0; i < 8; ++i) size |= static_cast<uLongf>(static_cast<unsigned char>(file[12 + i])) << (8 * i);
  std::string body(size, '\0');
  if (uncompress(reinterpret_cast<Bytef*>(body.data()), &size,
                 reinterpret_cast<const Bytef*>(file.data() + 20), file.size() - 20) != Z_OK) {
    return false;
  }
  return mlops::WriteFileAtomic(dir + "/" + name + ".body", body, 0644).ok();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  MlpModel quantized;
  const bool ok = Write(dir, "classifier", Classifier()) && Write(dir, "regressor", Regressor()) &&
                  mlops::ml::QuantizeModel(Classifier(), &quantized).ok() &&
                  Write(dir, "classifier-int8", quantized);
  if (!ok) std::fprintf(stderr, "could not write the seeds to %s\n", dir.c_str());
  return ok ? 0 : 1;
}
