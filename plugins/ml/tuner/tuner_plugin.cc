// The `tuner` plugin: searches MLP hyperparameters (search/) by training
// each trial with libtorch (torch/mlp_trainer.h) on the training split and
// scoring it on the validation split; the test split is never looked at.
// Writes best_params.json (what the trainer reads as overrides) and
// trials.json (every trial with its learning curve). See docs/ml/tuner.md.
#include <algorithm>
#include <cmath>
#include <mutex>
#include <string>
#include <vector>

#include "common/stage_io.h"
#include "data/csv_loader.h"
#include "mlops/common/files.h"
#include "search/search.h"
#include "tuner/tuner_config.h"

namespace mlops::ml {
namespace {

constexpr const char* kVersion = "1.0.0";
constexpr int kTrialsFormat = 1;  // trials.json "version"

double TargetValue(TuneTarget target, const EpochReport& e) {
  return target == TuneTarget::kValLoss ? e.val_loss : e.val_score;
}

// The most epochs any trial can run: the top of the space's `epochs`, else
// the fixed (or default) value.
int64_t MaxEpochs(const TunerConfig& config) {
  for (const auto& d : config.space.dims) {
    if (d.name != "epochs" || !d.searchable()) continue;
    int64_t most = 1;
    if (d.kind == DimensionKind::kChoice) {
      for (const auto& c : d.choices) most = std::max(most, static_cast<int64_t>(c.get<double>()));
    } else {
      most = static_cast<int64_t>(d.kind == DimensionKind::kLogUniform ? std::exp(d.high) : d.high);
    }
    return most;
  }
  MlpParams p;
  (void)TrialParams(config, nlohmann::json::object(), &p);  // checked by ParseTunerConfig
  return p.epochs;
}

nlohmann::json CurveJson(const std::vector<EpochReport>& curve) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& e : curve) {
    j.push_back({{"epoch", e.epoch}, {"loss", e.loss}, {"val_loss", e.val_loss}, {"val_score", e.val_score}});
  }
  return j;
}

nlohmann::json ValueJson(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

// The child record of one trial: its `trial.<n>` param.
nlohmann::json TrialRecord(const Trial& t) {
  nlohmann::json j = {{"params", t.params},
                      {"status", ToString(t.status)},
                      {"value", ValueJson(t.value)},
                      {"epochs", t.intermediate.size()}};
  if (!t.error.empty()) j["error"] = t.error;
  return j;
}

mlops_status Run(StageIo& io) {
  nlohmann::json with;
  std::string error;
  if (!io.Params(&with, &error)) return io.Fail(MLOPS_BAD_PARAMS, error);
  TunerConfig config;
  if (Status s = ParseTunerConfig(with, io.WorkDir(), &config); !s.ok()) {
    return io.Fail(MLOPS_BAD_PARAMS, "tuner: " + s.message());
  }
  Dataset data;
  if (Status s = LoadDataset(config.data, &data); !s.ok()) return io.Fail(MLOPS_ERROR, s.message());
  if (Status s = ResolveTarget(data.task, &config); !s.ok()) return io.Fail(MLOPS_BAD_PARAMS, "tuner: " + s.message());
  Split split;
  if (Status s = MakeSplit(data, config.split, &split); !s.ok()) return io.Fail(MLOPS_ERROR, "split: " + s.message());

  const std::string target = ToString(config.target);
  SearchOptions& search = config.search;
  if (search.parallel > StageIo::Cpus()) {
    io.Info("parallel " + std::to_string(search.parallel) + " capped to the stage's " +
            std::to_string(StageIo::Cpus()) + " cpus");
    search.parallel = StageIo::Cpus();
  }
  if (search.pruner.kind == PrunerKind::kAsha && search.pruner.min_resource == 0) {
    search.pruner.min_resource = AutoMinResource(MaxEpochs(config), search.pruner.reduction_factor);
  }
  const int planned = PlannedTrials(config.space, search);
  io.Info("tuning " + target + " on " + config.data.path + " (" + std::to_string(data.rows) + " rows; train " +
          std::to_string(split.train.size()) + ", validation " + std::to_string(split.validation.size()) + "): " +
          ToString(search.strategy) + ", " + std::to_string(planned) + " trials, " + std::to_string(search.parallel) +
          " at a time, pruner " + ToJson(search.pruner)["type"].get<std::string>());

  // Each trial writes only its own slot.
  std::vector<std::vector<EpochReport>> curves(static_cast<size_t>(planned));
  const Objective objective = [&](const ParamValues& values, TrialContext& ctx) {
    MlpParams p;
    if (Status s = TrialParams(config, values, &p); !s.ok()) return TrialOutcome::Failed(s.message());
    std::vector<EpochReport>& curve = curves[static_cast<size_t>(ctx.number())];
    TrainHooks hooks;
    hooks.cancelled = [&ctx] { return ctx.Cancelled(); };
    hooks.on_epoch = [&](const EpochReport& e) {
      curve.push_back(e);
      return !ctx.Report(e.epoch, TargetValue(config.target, e));
    };
    TrainResult result;
    if (Status s = TrainMlp(data, split, p, hooks, &result); !s.ok()) return TrialOutcome::Failed(s.message());
    if (ctx.pruned() || result.curve.empty()) return TrialOutcome{};
    return TrialOutcome::Value(config.target == TuneTarget::kValLoss ? result.best_val_loss : result.best_val_score);
  };

  SearchHooks hooks;
  hooks.cancelled = [&io] { return io.Cancelled(); };
  hooks.on_trial = [&](const Trial& t, int done, int total) {
    const std::string key = "trial." + std::to_string(t.number);
    for (const auto& i : t.intermediate) io.Metric(key + "." + target, i.value, i.step);
    io.Param(key, TrialRecord(t));
    std::string line = key + " " + ToString(t.status) + " after " + std::to_string(t.intermediate.size()) +
                       " epochs: " + target + " " + ValueJson(t.value).dump() + " " + t.params.dump();
    if (!t.error.empty()) line += ": " + t.error;
    io.Info(line);
    io.Progress(static_cast<double>(done) / total, key + " " + ToString(t.status));
  };
  SearchResult result;
  if (Status s = RunSearch(config.space, search, objective, hooks, &result); !s.ok()) {
    return io.Fail(MLOPS_BAD_PARAMS, "tuner: " + s.message());
  }
  if (result.cancelled) {
    return io.Fail(MLOPS_CANCELLED, "tuner: cancelled after " + std::to_string(result.trials.size()) + " trials");
  }
  if (result.best < 0) {
    std::string why;
    for (const auto& t : result.trials) {
      if (!t.error.empty()) {
        why = "; trial " + std::to_string(t.number) + ": " + t.error;
        break;
      }
    }
    return io.Fail(MLOPS_ERROR, "tuner: no trial completed" + why);
  }

  const Trial& best = result.trials[static_cast<size_t>(result.best)];
  int pruned = 0, failed = 0;
  nlohmann::json trials = nlohmann::json::array();
  for (const auto& t : result.trials) {
    pruned += t.status == TrialStatus::kPruned ? 1 : 0;
    failed += t.status == TrialStatus::kFailed ? 1 : 0;
    nlohmann::json j = TrialRecord(t);
    j["number"] = t.number;
    j["seconds"] = t.seconds;
    j["curve"] = CurveJson(curves[static_cast<size_t>(t.number)]);
    trials.push_back(std::move(j));
  }
  io.Metric("best_" + target, best.value, 0);
  io.Metric("trials_pruned", pruned, 0);
  io.Metric("trials_failed", failed, 0);
  io.Param("best_params", best.params);
  io.Param("search", ToJson(search));
  io.Info("best: trial." + std::to_string(best.number) + " " + target + " " + std::to_string(best.value) + " " +
          best.params.dump() + " (" + std::to_string(pruned) + " pruned, " + std::to_string(failed) + " failed)");

  const nlohmann::json report = {{"version", kTrialsFormat},
                                 {"target", target},
                                 {"direction", search.direction == Direction::kMaximize ? "maximize" : "minimize"},
                                 {"search", ToJson(search)},
                                 {"space", with["space"]},
                                 {"fixed", config.fixed},
                                 {"best", {{"trial", best.number}, {"value", best.value}, {"params", best.params}}},
                                 {"trials", std::move(trials)}};
  for (const auto& [name, content] : {std::pair<std::string, std::string>{"best_params.json", best.params.dump(2)},
                                      {"trials.json", report.dump(2)}}) {
    if (Status s = WriteFileAtomic(io.OutputPath(name), content + "\n"); !s.ok()) {
      return io.Fail(MLOPS_ERROR, "tuner: " + s.message());
    }
    if (!io.Output(name, "application/json", &error)) return io.Fail(MLOPS_ERROR, error);
  }
  return MLOPS_OK;
}

}  // namespace
}  // namespace mlops::ml

extern "C" MLOPS_PLUGIN_EXPORT int mlops_plugin_entry(mlops_plugin_info* info) {
  return mlops::ml::DescribePlugin(info, "tuner", mlops::ml::kVersion, &mlops::ml::RunGuarded<mlops::ml::Run>);
}
