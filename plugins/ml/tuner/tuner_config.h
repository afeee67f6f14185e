// TunerConfig: the tuner stage's `with`, checked whole before any data is
// read (docs/ml/tuner.md): the data and split, the search (search/), the
// target, and the MLP hyperparameters every trial shares. Plain value.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/data_spec.h"
#include "data/split.h"
#include "mlops/common/status.h"
#include "search/search_options.h"
#include "search/space.h"
#include "torch/mlp_trainer.h"

namespace mlops::ml {

// What a trial is scored on, on the validation split.
enum class TuneTarget { kAuto, kValAccuracy, kValLoss, kValR2 };

const char* ToString(TuneTarget target);  // "val_accuracy" | "val_loss" | "val_r2"

struct TunerConfig {
  DataSpec data;
  SplitSpec split;
  SearchSpace space;
  SearchOptions search;  // direction set by ResolveTarget
  // The MlpParams keys of `with`, as given: every trial parses these merged
  // with its own values in one ParseMlpParams call, so that e.g. a fixed
  // `layers: 2` repeats a searched `hidden` width.
  nlohmann::json fixed = nlohmann::json::object();
  TuneTarget target = TuneTarget::kAuto;
};

// The keys the tuner accepts in `with`.
const std::vector<std::string>& TunerKeys();

// Parses `with` (relative data paths resolve against work_dir) and checks
// that every value the space can take is a valid hyperparameter. Errors
// (InvalidArgument) name the key: "space.dropout: 'dropout': expected ...".
Status ParseTunerConfig(const nlohmann::json& with, const std::string& work_dir, TunerConfig* out);

// The hyperparameters of one trial: config.fixed with `values` over it.
// `threads` is always 1 (trials run side by side).
Status TrialParams(const TunerConfig& config, const nlohmann::json& values, MlpParams* out);

// Picks the target for the data's task when it is kAuto (val_accuracy for
// classification, val_r2 for regression), checks it fits the task, and sets
// the search direction (val_loss minimizes).
Status ResolveTarget(Task task, TunerConfig* config);

}  // namespace mlops::ml
