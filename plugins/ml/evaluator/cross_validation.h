// K-fold cross-validation of a trained model's recipe: the hyperparameters
// recorded in its provenance are retrained (torch/mlp_trainer.h) K times on
// the trainer's train + validation rows (the test rows stay out). In fold i
// the model is scored on fold i, early-stops on fold i+1 (mod K) and trains
// on the other K-2 folds, so no fold scores a model that saw it.
#pragma once

#include <cstdint>
#include <functional>

#include "data/dataset.h"
#include "data/split.h"
#include "metrics/evaluation_report.h"
#include "mlops/common/status.h"
#include "model/mlp_model.h"

namespace mlops::ml {

inline constexpr int kMinFolds = 3;
inline constexpr int kMaxFolds = 20;

struct CrossValidationOptions {
  int folds = 5;                                     // [kMinFolds, kMaxFolds]
  uint64_t seed = 42;                                // of the folds
  int threads = 1;                                   // intra-op threads of the training
  std::function<bool()> cancelled;                   // polled while training
  std::function<void(int fold, int folds)> on_fold;  // before each fold
};

// Fills out->per_fold (the task's metrics per fold) and out->metrics
// (cv_<metric>_mean / _std). Sets *cancelled and returns OK early when
// options.cancelled said so. InvalidArgument when the model records no
// hyperparameters (provenance.params) or there are too few rows for the
// folds; training errors as TrainMlp gives them.
Status CrossValidate(const MlpModel& model, const Dataset& data, const Split& split,
                     const CrossValidationOptions& options, metrics::CrossValidationSummary* out,
                     bool* cancelled);

}  // namespace mlops::ml
