// The `trainer` plugin: trains an MLP (torch/mlp_trainer.h) on a data set
// and writes the model file (model/model_file.h) with its provenance, and
// beside it the reference profile of the rows it learned from
// (drift/reference_profile.h), the reference of the drift measures.
// Tuned hyperparameters come from the input `best_params.json` (a tuner's
// output) when the stage has one; `with` keys set the rest.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "common/param_keys.h"
#include "common/stage_io.h"
#include "data/csv_loader.h"
#include "data/data_spec.h"
#include "data/split.h"
#include "drift/reference_profile.h"
#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "model/model_file.h"
#include "torch/mlp_trainer.h"

namespace mlops::ml {
namespace {

constexpr const char* kVersion = "1.0.0";
constexpr const char* kProfileOutput = "reference_profile.json";

// The profile of the rows the model learns from: the train split, and the
// validation split too when the model is refitted on both.
Status WriteReferenceProfile(const Dataset& data, const Split& split, bool refit, StageIo& io) {
  std::vector<size_t> rows = split.train;
  if (refit) {
    rows.insert(rows.end(), split.validation.begin(), split.validation.end());
    std::sort(rows.begin(), rows.end());
  }
  drift::ReferenceProfile profile;
  MLOPS_RETURN_IF_ERROR(drift::ProfileDataset(data, rows, drift::kDefaultBins, &profile));
  return WriteFileAtomic(io.OutputPath(kProfileOutput), drift::Serialize(profile));
}

const std::vector<std::string> kKeys = {
    "data",    "split",  "output",    "params_from", "hidden",     "layers",  "activation",
    "dropout", "optimizer", "lr",     "momentum",    "batch_size", "epochs",  "weight_decay",
    "patience", "seed",  "threads",   "device", "refit"};

mlops_status Run(StageIo& io) {
  nlohmann::json with;
  std::string error;
  if (!io.Params(&with, &error)) return io.Fail(MLOPS_BAD_PARAMS, error);
  if (std::string e = UnknownKeyError(with, kKeys); !e.empty()) return io.Fail(MLOPS_BAD_PARAMS, "trainer: " + e);
  if (!with.contains("data")) return io.Fail(MLOPS_BAD_PARAMS, "trainer: 'data' is required (the data set to train on)");

  // The model's file name: `output`, else the stage's one declared output.
  std::string output;
  std::string fallback = "model.mlp";
  if (with.contains("outputs") && with["outputs"].is_array() && with["outputs"].size() == 1 &&
      with["outputs"][0].is_string()) {
    fallback = with["outputs"][0].get<std::string>();
  }
  if (std::string e = ReadOutputName(with, fallback, &output); !e.empty()) {
    return io.Fail(MLOPS_BAD_PARAMS, "trainer: " + e);
  }
  DataSpec spec;
  if (Status s = ParseDataSpec(with["data"], io.WorkDir(), &spec); !s.ok()) {
    return io.Fail(MLOPS_BAD_PARAMS, "trainer: data: " + s.message());
  }
  SplitSpec split_spec;
  if (Status s = ParseSplitSpec(with.value("split", nlohmann::json::object()), &split_spec); !s.ok()) {
    return io.Fail(MLOPS_BAD_PARAMS, "trainer: split: " + s.message());
  }
  MlpParams params;
  params.threads = StageIo::Cpus();
  if (Status s = ParseMlpParams(with, &params); !s.ok()) return io.Fail(MLOPS_BAD_PARAMS, "trainer: " + s.message());
  // Tuned values override the stage's own.
  const std::string tuned_name = with.value("params_from", std::string("best_params.json"));
  nlohmann::json tuned = nlohmann::json::object();
  if (auto tuned_path = io.Input(tuned_name)) {
    std::string text;
    if (Status s = ReadFile(*tuned_path, &text); !s.ok()) return io.Fail(MLOPS_ERROR, "trainer: " + s.message());
    tuned = nlohmann::json::parse(text, nullptr, false);
    if (!tuned.is_object()) return io.Fail(MLOPS_ERROR, "trainer: " + tuned_name + " is not a JSON object");
    if (Status s = ParseMlpParams(tuned, &params); !s.ok()) {
      return io.Fail(MLOPS_ERROR, "trainer: " + tuned_name + ": " + s.message());
    }
    io.Info("tuned parameters from " + tuned_name + ": " + tuned.dump());
  } else if (with.contains("params_from")) {
    return io.Fail(MLOPS_BAD_PARAMS, "trainer: 'params_from' names '" + tuned_name + "', which is not an input of this stage");
  }

  bool refit = false;
  if (with.contains("refit")) {
    if (!with["refit"].is_boolean()) return io.Fail(MLOPS_BAD_PARAMS, "trainer: 'refit': expected true or false, got " + with["refit"].dump());
    refit = with["refit"].get<bool>();
  }
  Dataset data;
  if (Status s = LoadDataset(spec, &data); !s.ok()) return io.Fail(MLOPS_ERROR, s.message());
  std::string data_sha;
  uint64_t data_size = 0;
  if (Status s = Sha256File(spec.path, &data_sha, &data_size); !s.ok()) return io.Fail(MLOPS_ERROR, s.message());
  Split split;
  if (Status s = MakeSplit(data, split_spec, &split); !s.ok()) return io.Fail(MLOPS_ERROR, "split: " + s.message());
  io.Info("data " + spec.path + ": " + std::to_string(data.rows) + " rows, " + std::to_string(data.cols) +
          " features; split train " + std::to_string(split.train.size()) + " / validation " +
          std::to_string(split.validation.size()) + " / test " + std::to_string(split.test.size()));

  const bool classification = data.task == Task::kClassification;
  TrainHooks hooks;
  hooks.checkpoint_path = io.ScratchDir() + "/trainer.checkpoint";
  hooks.cancelled = [&io] { return io.Cancelled(); };
  hooks.on_resume = [&io](int epoch) {
    io.Info("resuming from the checkpoint of epoch " + std::to_string(epoch) + " (an earlier attempt)");
  };
  hooks.on_epoch = [&](const EpochReport& e) {
    io.Metric("loss", e.loss, e.epoch);
    io.Metric("val_loss", e.val_loss, e.epoch);
    io.Metric(classification ? "val_accuracy" : "val_r2", e.val_score, e.epoch);
    io.Progress(static_cast<double>(e.epoch) / params.epochs, "epoch " + std::to_string(e.epoch));
    return !io.Cancelled();
  };
  TrainResult result;
  if (Status s = TrainMlp(data, split, params, hooks, &result); !s.ok()) return io.Fail(MLOPS_ERROR, s.message());
  if (result.interrupted) return io.Fail(MLOPS_CANCELLED, "trainer: cancelled at epoch " + std::to_string(result.curve.size()));
  // refit: train again from scratch on train + validation for the number of
  // epochs early stopping chose (the test split stays unseen).
  int refit_epochs = 0;
  if (refit) {
    MlpParams again = params;
    again.epochs = std::max(1, result.best_epoch);
    again.patience = 0;
    Split joined = split;
    joined.train.insert(joined.train.end(), split.validation.begin(), split.validation.end());
    std::sort(joined.train.begin(), joined.train.end());
    TrainHooks refit_hooks;
    refit_hooks.checkpoint_path = io.ScratchDir() + "/trainer.refit.checkpoint";
    refit_hooks.cancelled = hooks.cancelled;
    refit_hooks.on_resume = hooks.on_resume;
    refit_hooks.on_epoch = [&](const EpochReport& e) {
      io.Metric("refit_loss", e.loss, e.epoch);
      return !io.Cancelled();
    };
    io.Info("refit on train + validation (" + std::to_string(joined.train.size()) + " rows) for " +
            std::to_string(again.epochs) + " epochs");
    TrainResult refitted;
    if (Status s = TrainMlp(data, joined, again, refit_hooks, &refitted); !s.ok()) return io.Fail(MLOPS_ERROR, s.message());
    if (refitted.interrupted) return io.Fail(MLOPS_CANCELLED, "trainer: cancelled while refitting");
    // patience 0: the last epoch's weights (its "validation" rows were seen).
    refit_epochs = again.epochs;
    result.model = std::move(refitted.model);
    result.samples_seen += refitted.samples_seen;
    result.train_seconds += refitted.train_seconds;
    std::remove(refit_hooks.checkpoint_path.c_str());
  }
  const double throughput = result.train_seconds > 0 ? result.samples_seen / result.train_seconds : 0;
  io.Info("trained on " + result.device + ": " + std::to_string(result.curve.size()) + " epochs, best epoch " +
          std::to_string(result.best_epoch) + ", val loss " + std::to_string(result.best_val_loss) + ", " +
          std::to_string(static_cast<long long>(throughput)) + " samples/s");
  io.Metric("best_val_loss", result.best_val_loss, 0);
  io.Metric(classification ? "best_val_accuracy" : "best_val_r2", result.best_val_score, 0);
  io.Metric("best_epoch", result.best_epoch, 0);
  io.Metric("train_seconds", result.train_seconds, 0);
  io.Metric("samples_per_second", throughput, 0);
  io.Param("device", result.device);
  io.Param("hyperparameters", ToJson(params));

  MlpModel& model = result.model;
  model.provenance = {
      {"trainer", {{"plugin", "trainer"}, {"version", kVersion}}},
      {"data", ToJson(spec)},
      {"data_sha256", data_sha},
      {"split", ToJson(split_spec)},
      {"split_sizes", {split.train.size(), split.validation.size(), split.test.size()}},
      {"params", ToJson(params)},
      {"tuned", tuned},
      {"device", result.device},
      {"epochs_run", result.curve.size()},
      {"best_epoch", result.best_epoch},
      {"best_val_loss", result.best_val_loss},
      {"resumed_from_epoch", result.resumed_from_epoch},
      {"refit_epochs", refit_epochs},
  };
  if (Status s = SaveModel(model, io.OutputPath(output)); !s.ok()) return io.Fail(MLOPS_ERROR, s.message());
  if (!io.Output(output, kModelMediaType, &error)) return io.Fail(MLOPS_ERROR, error);
  if (Status s = WriteReferenceProfile(data, split, refit, io); !s.ok()) {
    return io.Fail(MLOPS_ERROR, "trainer: reference profile: " + s.message());
  }
  if (!io.Output(kProfileOutput, drift::kReferenceProfileMediaType, &error)) return io.Fail(MLOPS_ERROR, error);
  std::remove(hooks.checkpoint_path.c_str());  // done: a retry of a later stage must not resume
  return MLOPS_OK;
}

}  // namespace
}  // namespace mlops::ml

extern "C" MLOPS_PLUGIN_EXPORT int mlops_plugin_entry(mlops_plugin_info* info) {
  return mlops::ml::DescribePlugin(info, "trainer", mlops::ml::kVersion, &mlops::ml::RunGuarded<mlops::ml::Run>);
}
