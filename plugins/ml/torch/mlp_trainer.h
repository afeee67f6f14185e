// Training an MlpModel with libtorch. The only header of the ML plugins that
// leads to torch code; it includes no torch header itself.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/split.h"
#include "mlops/common/status.h"
#include "model/mlp_model.h"

namespace mlops::ml {

struct MlpParams {
  std::vector<int> hidden = {64};  // units per hidden layer
  Activation activation = Activation::kRelu;
  double dropout = 0.0;            // [0, 1)
  std::string optimizer = "adam";  // adam | adamw | sgd
  double lr = 1e-3;
  double momentum = 0.9;           // sgd only
  int batch_size = 32;
  int epochs = 100;
  double weight_decay = 0.0;
  int patience = 20;               // early stopping on validation loss; 0 = off
  uint64_t seed = 42;
  int threads = 1;                 // intra-op threads (the stage's cpus)
  std::string device = "auto";     // auto | cpu | cuda
};

// Reads the hyperparameters from a JSON object (the stage's `with`, or a
// tuner trial's values); unknown keys are ignored here, wrong types and
// out-of-range values are errors naming the key. Fields absent keep *out's
// values, so defaults and then overrides can be applied in turn.
Status ParseMlpParams(const nlohmann::json& j, MlpParams* out);
nlohmann::json ToJson(const MlpParams& p);

struct EpochReport {
  int epoch = 0;          // 1-based
  double loss = 0;        // mean training loss
  double val_loss = 0;
  double val_score = 0;   // classification: accuracy; regression: R^2
  double seconds = 0;     // wall time of the epoch
  double train_seconds = 0;  // of which the training steps (no validation pass)
};

struct TrainHooks {
  // Called after each epoch; returning false stops training (pruned trial,
  // cancel). The best-so-far model is kept.
  std::function<bool(const EpochReport&)> on_epoch;
  // Polled between batches.
  std::function<bool()> cancelled;
  // When set, a checkpoint is written here after each epoch and, if one
  // exists when training starts (a retried attempt), training resumes from it.
  std::string checkpoint_path;
  // Called once, before the first epoch, when a checkpoint was resumed.
  std::function<void(int epoch)> on_resume;
};

struct TrainResult {
  MlpModel model;            // the best validation-loss epoch's weights (patience > 0), else the last epoch's
  std::vector<EpochReport> curve;
  int best_epoch = 0;
  double best_val_loss = 0;
  double best_val_score = 0;
  bool stopped_early = false;  // by patience
  bool interrupted = false;    // by on_epoch or cancelled
  int resumed_from_epoch = 0;  // 0 = fresh start
  std::string device;          // "cpu" or "cuda:N"
  double train_seconds = 0;
  int64_t samples_seen = 0;    // training samples processed (throughput)
};

// Trains on split.train, early-stops on split.validation. `data` must have
// the task and classes the model is for. Standardisation is fitted on the
// training rows only.
Status TrainMlp(const Dataset& data, const Split& split, const MlpParams& params,
                const TrainHooks& hooks, TrainResult* result);

// "cuda" when torch sees a CUDA device, else "cpu".
std::string BestDevice();

}  // namespace mlops::ml
