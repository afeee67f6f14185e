#include "evaluator/cross_validation.h"

#include <algorithm>
#include <string>
#include <vector>

#include "evaluator/model_scoring.h"
#include "torch/mlp_trainer.h"

namespace mlops::ml {

Status CrossValidate(const MlpModel& model, const Dataset& data, const Split& split,
                     const CrossValidationOptions& options, metrics::CrossValidationSummary* out,
                     bool* cancelled) {
  *cancelled = false;
  const int k = options.folds;
  if (k < kMinFolds || k > kMaxFolds) {
    return Status::InvalidArgument("cv: expected between " + std::to_string(kMinFolds) + " and " +
                                   std::to_string(kMaxFolds) + " folds, got " + std::to_string(k));
  }
  if (!model.provenance.contains("params") || !model.provenance["params"].is_object()) {
    return Status::InvalidArgument(
        "cv: the model records no hyperparameters (provenance.params) to retrain with");
  }
  MlpParams params;
  MLOPS_RETURN_IF_ERROR(ParseMlpParams(model.provenance["params"], &params));
  params.threads = options.threads;

  std::vector<size_t> pool = split.train;
  pool.insert(pool.end(), split.validation.begin(), split.validation.end());
  std::sort(pool.begin(), pool.end());
  std::vector<std::vector<size_t>> folds;
  MLOPS_RETURN_IF_ERROR(MakeFolds(data, pool, k, options.seed, &folds));
  for (size_t i = 0; i < folds.size(); ++i) {
    if (folds[i].empty()) {
      return Status::InvalidArgument("cv: " + std::to_string(pool.size()) +
                                     " train + validation rows are too few for " +
                                     std::to_string(k) + " folds");
    }
  }

  *out = metrics::CrossValidationSummary{};
  out->folds = k;
  TrainHooks hooks;
  hooks.cancelled = options.cancelled;
  if (options.cancelled) hooks.on_epoch = [&](const EpochReport&) { return !options.cancelled(); };
  for (int i = 0; i < k; ++i) {
    if (options.on_fold) options.on_fold(i, k);
    Split fold_split;
    fold_split.test = folds[i];
    fold_split.validation = folds[(i + 1) % k];
    for (int j = 0; j < k; ++j) {
      if (j == i || j == (i + 1) % k) continue;
      fold_split.train.insert(fold_split.train.end(), folds[j].begin(), folds[j].end());
    }
    std::sort(fold_split.train.begin(), fold_split.train.end());
    TrainResult result;
    Status st = TrainMlp(data, fold_split, params, hooks, &result);
    if (!st.ok()) return st;
    if (result.interrupted) {
      *cancelled = true;
      return Status::OK();
    }
    RowsScore score;
    MLOPS_RETURN_IF_ERROR(ScoreRows(result.model, data, fold_split.test, &score));
    out->per_fold.push_back(std::move(score.metrics));
  }
  out->metrics = metrics::SummarizeFolds(out->per_fold, TaskMetricNames(model.task));
  return Status::OK();
}

}  // namespace mlops::ml
