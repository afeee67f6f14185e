// The `quantizer` plugin: post-training INT8 quantization (model/quantize.h)
// of the trainer's model; reports the file sizes before and after and the
// score change on the trainer's test split, and can refuse a model that
// loses more than `max_accuracy_drop` points.
#include <sys/stat.h>

#include <string>
#include <vector>

#include "common/param_keys.h"
#include "common/stage_io.h"
#include "metrics/classification_metrics.h"
#include "metrics/regression_metrics.h"
#include "model/model_data.h"
#include "model/model_file.h"
#include "model/quantize.h"

namespace mlops::ml {
namespace {

constexpr const char* kVersion = "1.0.0";
const std::vector<std::string> kKeys = {"model", "output", "data", "max_accuracy_drop"};

// Test accuracy (classification) or R^2 (regression; 0 where undefined)
// through the evaluator's metrics, so both stages report the same numbers.
double TestScore(const MlpModel& model, const Dataset& data, const std::vector<size_t>& rows) {
  const std::vector<double> out = PredictRows(model, data, rows);
  if (model.task == Task::kClassification) {
    std::vector<int> y;
    for (size_t r : rows) y.push_back(static_cast<int>(data.labels[r]));
    return metrics::Accuracy(y, metrics::ArgmaxClasses(out, model.outputs()));
  }
  std::vector<double> y;
  for (size_t r : rows) y.push_back(data.labels[r]);
  double r2 = 0.0;
  return metrics::R2(y, out, &r2).ok() ? r2 : 0.0;
}

int64_t FileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

mlops_status Run(StageIo& io) {
  nlohmann::json with;
  std::string error;
  if (!io.Params(&with, &error)) return io.Fail(MLOPS_BAD_PARAMS, error);
  if (std::string e = UnknownKeyError(with, kKeys); !e.empty()) return io.Fail(MLOPS_BAD_PARAMS, "quantizer: " + e);
  const std::string model_name = with.value("model", std::string("model.mlp"));
  std::string output;
  if (std::string e = ReadOutputName(with, "model.int8.mlp", &output); !e.empty()) {
    return io.Fail(MLOPS_BAD_PARAMS, "quantizer: " + e);
  }
  double max_drop = -1;
  if (with.contains("max_accuracy_drop")) {
    if (!with["max_accuracy_drop"].is_number() || with["max_accuracy_drop"].get<double>() < 0) {
      return io.Fail(MLOPS_BAD_PARAMS, "quantizer: 'max_accuracy_drop': expected a number of points >= 0, got " +
                                           with["max_accuracy_drop"].dump());
    }
    max_drop = with["max_accuracy_drop"].get<double>();
  }
  const auto model_path = io.Input(model_name);
  if (!model_path) {
    return io.Fail(MLOPS_BAD_PARAMS, "quantizer: no input '" + model_name +
                                         "': the stage must need the trainer's stage (or set 'model')");
  }
  MlpModel model;
  if (Status s = LoadModel(*model_path, &model); !s.ok()) return io.Fail(MLOPS_ERROR, s.message());
  if (model.quantized()) return io.Fail(MLOPS_ERROR, "quantizer: " + model_name + " is already quantized");
  MlpModel q;
  if (Status s = QuantizeModel(model, &q); !s.ok()) return io.Fail(MLOPS_ERROR, "quantizer: " + s.message());
  q.provenance["quantization"] = {{"scheme", "int8 per-channel symmetric weights, dynamic per-row activations"},
                                  {"plugin", "quantizer"}, {"version", kVersion}, {"parent", model_name}};

  Dataset data;
  Split split;
  if (Status s = LoadModelData(model, with.value("data", nlohmann::json()), io.WorkDir(), &data, &split); !s.ok()) {
    return io.Fail(MLOPS_ERROR, "quantizer: " + s.message());
  }
  const double before = TestScore(model, data, split.test);
  const double after = TestScore(q, data, split.test);
  const double delta_points = (after - before) * 100.0;
  const std::string score = model.task == Task::kClassification ? "accuracy" : "r2";
  q.provenance["quantization"]["test_" + score] = {{"float", before}, {"int8", after}};

  if (Status s = SaveModel(q, io.OutputPath(output)); !s.ok()) return io.Fail(MLOPS_ERROR, s.message());
  const int64_t float_bytes = FileSize(*model_path);
  const int64_t int8_bytes = FileSize(io.OutputPath(output));
  io.Metric("float_bytes", static_cast<double>(float_bytes), 0);
  io.Metric("int8_bytes", static_cast<double>(int8_bytes), 0);
  io.Metric("size_ratio", float_bytes > 0 ? static_cast<double>(int8_bytes) / float_bytes : 0, 0);
  io.Metric("float_" + score, before, 0);
  io.Metric("int8_" + score, after, 0);
  io.Metric(score + "_delta_points", delta_points, 0);
  io.Info("quantized " + model_name + " -> " + output + ": " + std::to_string(float_bytes) + " -> " +
          std::to_string(int8_bytes) + " bytes; test " + score + " " + std::to_string(before) + " -> " +
          std::to_string(after));
  if (!io.Output(output, kModelMediaType, &error)) return io.Fail(MLOPS_ERROR, error);
  if (max_drop >= 0 && -delta_points > max_drop) {
    return io.Fail(MLOPS_ERROR, "quantizer: test " + score + " dropped by " + std::to_string(-delta_points) +
                                    " points, more than max_accuracy_drop " + std::to_string(max_drop));
  }
  return MLOPS_OK;
}

}  // namespace
}  // namespace mlops::ml

extern "C" MLOPS_PLUGIN_EXPORT int mlops_plugin_entry(mlops_plugin_info* info) {
  return mlops::ml::DescribePlugin(info, "quantizer", mlops::ml::kVersion, &mlops::ml::RunGuarded<mlops::ml::Run>);
}
