// The `evaluator` plugin: scores the trainer's model on the test split the
// trainer recorded, optionally per slice, by cross-validation and against
// the production model, decides the stage by its gates, and writes
// evaluation.json and evaluation.junit.xml (docs/ml/evaluator.md).
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "common/stage_io.h"
#include "evaluator/cross_validation.h"
#include "evaluator/evaluator_params.h"
#include "evaluator/model_scoring.h"
#include "metrics/evaluation_report.h"
#include "metrics/gates.h"
#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "model/model_data.h"
#include "model/model_file.h"

namespace mlops::ml {
namespace {

constexpr const char* kVersion = "1.0.0";
constexpr const char* kReportName = "evaluation.json";
constexpr const char* kJunitName = "evaluation.junit.xml";
constexpr const char* kProductionModelEnv = "MLOPS_PRODUCTION_MODEL";

using metrics::MetricSet;

std::string Summary(const MetricSet& m) {
  std::string out;
  for (const auto& [name, value] : m.values()) {
    out += (out.empty() ? "" : ", ") + name + " " + metrics::FormatValue(value);
  }
  return out;
}

// One run() of the stage. Each step returns MLOPS_OK to go on, or the
// stage's status after setting the error.
class Evaluation {
 public:
  explicit Evaluation(StageIo& io) : io_(io) {}

  mlops_status Run() {
    for (auto step : {&Evaluation::Load, &Evaluation::ScoreTestRows, &Evaluation::CrossValidation,
                      &Evaluation::CompareWithChampion}) {
      if (io_.Cancelled()) return io_.Fail(MLOPS_CANCELLED, "evaluator: cancelled");
      if (mlops_status s = (this->*step)(); s != MLOPS_OK) return s;
    }
    return Finish();
  }

 private:
  mlops_status Fail(mlops_status status, const std::string& message) {
    return io_.Fail(status, "evaluator: " + message);
  }

  // Reports every defined metric of `m` (prefixed) to the host, and logs
  // why the others are undefined and what sklearn would have warned.
  void ReportMetrics(const MetricSet& m, const std::string& prefix) {
    for (const auto& [name, value] : m.values()) io_.Metric(prefix + name, value, 0);
    for (const auto& [name, reason] : m.undefined()) io_.Warn(prefix + name + ": " + reason);
    for (const std::string& w : m.warnings()) io_.Warn((prefix.empty() ? "" : prefix + ": ") + w);
  }

  mlops_status Load() {
    nlohmann::json with;
    std::string error;
    if (!io_.Params(&with, &error)) return Fail(MLOPS_BAD_PARAMS, error);
    if (Status s = ParseEvaluatorParams(with, &params_); !s.ok()) {
      return Fail(MLOPS_BAD_PARAMS, s.message());
    }
    const std::optional<std::string> model_path = io_.Input(params_.model);
    if (!model_path) {
      return Fail(MLOPS_BAD_PARAMS,
                  "no input '" + params_.model +
                      "': the stage must need the trainer's stage (or set 'model')");
    }
    if (Status s = LoadModel(*model_path, &model_); !s.ok()) return Fail(MLOPS_ERROR, s.message());
    if (Status s = ResolveForTask(params_, model_.task, &gates_, &compare_metric_); !s.ok()) {
      return Fail(MLOPS_BAD_PARAMS, s.message());
    }
    const bool overridden = params_.data.is_object();
    if (Status s = LoadModelData(model_, params_.data, io_.WorkDir(), &data_, &split_); !s.ok()) {
      if (s.IsConflict()) {
        return Fail(MLOPS_ERROR, "refusing the model " + params_.model + ": " + s.message() +
                                     " (retrain it, or restore the data it was trained on)");
      }
      return Fail(MLOPS_ERROR, s.message());
    }
    if (split_.test.empty()) return Fail(MLOPS_ERROR, "the model's split has no test rows");

    report_.model_path = *model_path;
    report_.task = ToString(model_.task);
    report_.classes = model_.classes;
    report_.data_path = data_.source;
    uint64_t size = 0;
    if (!overridden && model_.provenance.contains("data_sha256")) {
      report_.data_sha256 = model_.provenance["data_sha256"].get<std::string>();
    } else if (Status s = Sha256File(data_.source, &report_.data_sha256, &size); !s.ok()) {
      return Fail(MLOPS_ERROR, s.message());
    }
    report_.train_rows = split_.train.size();
    report_.validation_rows = split_.validation.size();
    report_.test_rows = split_.test.size();
    io_.Info("model " + params_.model + " (" + ToString(model_.task) + "); data " + data_.source +
             (overridden ? " (from 'data': the model's data digest is not checked)" : "") +
             "; test rows " + std::to_string(split_.test.size()));
    io_.Progress(0.1, "data loaded");
    return MLOPS_OK;
  }

  mlops_status ScoreTestRows() {
    predictions_ = PredictRows(model_, data_, split_.test);
    RowsScore score;
    if (Status s = ScorePredictions(model_, data_, split_.test, predictions_, &score); !s.ok()) {
      return Fail(MLOPS_ERROR, s.message());
    }
    report_.metrics = std::move(score.metrics);
    report_.confusion = std::move(score.confusion);
    ReportMetrics(report_.metrics, "");
    io_.Info("test split: " + Summary(report_.metrics));
    if (Status s =
            ScoreSlices(model_, data_, split_.test, predictions_, params_.slices, &report_.slices);
        !s.ok()) {
      return Fail(s.IsInvalidArgument() ? MLOPS_BAD_PARAMS : MLOPS_ERROR, s.message());
    }
    for (const metrics::SliceMetrics& s : report_.slices) {
      io_.Info("slice " + s.label + " (" + std::to_string(s.rows) +
               " rows): " + Summary(s.metrics));
    }
    io_.Progress(0.2, "test split scored");
    return MLOPS_OK;
  }

  mlops_status CrossValidation() {
    if (params_.cv == 0) return MLOPS_OK;
    CrossValidationOptions options;
    options.folds = params_.cv;
    options.seed = model_.provenance.contains("split")
                       ? model_.provenance["split"].value("seed", uint64_t{42})
                       : uint64_t{42};
    options.threads = StageIo::Cpus();
    options.cancelled = [this] { return io_.Cancelled(); };
    options.on_fold = [this](int fold, int folds) {
      io_.Progress(0.2 + 0.7 * fold / folds,
                   "cv fold " + std::to_string(fold + 1) + " of " + std::to_string(folds));
    };
    metrics::CrossValidationSummary cv;
    bool cancelled = false;
    if (Status s = CrossValidate(model_, data_, split_, options, &cv, &cancelled); !s.ok()) {
      return Fail(MLOPS_ERROR, s.message());
    }
    if (cancelled) return Fail(MLOPS_CANCELLED, "cancelled during cross-validation");
    ReportMetrics(cv.metrics, "");
    io_.Info(std::to_string(cv.folds) + "-fold cross-validation: " + Summary(cv.metrics));
    report_.cv = std::move(cv);
    return MLOPS_OK;
  }

  mlops_status CompareWithChampion() {
    if (params_.champion.empty() && !params_.compare_to_production) return MLOPS_OK;
    metrics::ChampionComparison c;
    c.metric = compare_metric_;
    if (!params_.champion.empty()) {
      c.source = "param 'champion'";
      c.path = io_.Resolve(params_.champion);
    } else {
      c.source = kProductionModelEnv;
      const char* env = std::getenv(kProductionModelEnv);
      c.path = env != nullptr ? env : "";
    }
    if (c.path.empty() || !PathExists(c.path)) {
      io_.Info("no production model (" + c.source +
               (c.path.empty() ? " is not set" : ": " + c.path + " does not exist") +
               "): the comparison is skipped");
      report_.champion = std::move(c);
      return MLOPS_OK;
    }
    MlpModel champion;
    Status s = LoadModel(c.path, &champion);
    if (s.ok()) s = CheckComparable(model_, champion);
    RowsScore score;
    if (s.ok()) s = ScoreRows(champion, data_, split_.test, &score);
    if (!s.ok()) return Fail(MLOPS_ERROR, "champion " + c.path + ": " + s.message());
    c.present = true;
    c.metrics = std::move(score.metrics);
    ReportMetrics(c.metrics, "champion_");
    if (std::optional<double> v = c.metrics.Get(compare_metric_)) {
      gates_.push_back(metrics::ChampionGate(compare_metric_, *v));
    } else {
      io_.Warn("the champion's " + compare_metric_ + " is undefined: no champion gate");
    }
    io_.Info("champion " + c.path + ": " + Summary(c.metrics));
    report_.champion = std::move(c);
    return MLOPS_OK;
  }

  // Gates, both reports and their registration; the stage's verdict.
  mlops_status Finish() {
    MetricSet gated = report_.metrics;
    if (report_.cv) {
      for (const auto& [name, value] : report_.cv->metrics.values()) gated.Set(name, value);
      for (const auto& [name, why] : report_.cv->metrics.undefined()) gated.SetUndefined(name, why);
    }
    report_.gates = metrics::EvaluateGates(gates_, gated);
    std::string failed;
    size_t failures = 0;
    for (const metrics::GateResult& g : report_.gates) {
      io_.Info(g.message);
      if (!g.passed) failed += (failures++ == 0 ? "" : "; ") + g.message;
    }
    if (!report_.gates.empty()) io_.Metric("gates_passed", report_.passed() ? 1.0 : 0.0, 0);

    const std::string json =
        metrics::ToJson(report_).dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    Status s = WriteFileAtomic(io_.OutputPath(kReportName), json + "\n");
    if (s.ok())
      s = WriteFileAtomic(io_.OutputPath(kJunitName), metrics::ToJunitXml(report_, "evaluator"));
    if (!s.ok()) return Fail(MLOPS_ERROR, s.message());
    std::string error;
    if (!io_.Output(kReportName, "application/json", &error) ||
        !io_.Output(kJunitName, "application/xml", &error)) {
      return Fail(MLOPS_ERROR, error);
    }
    io_.Progress(1.0, "done");
    if (failures > 0) {
      return Fail(MLOPS_ERROR, std::to_string(failures) + " of " +
                                   std::to_string(report_.gates.size()) +
                                   " gates failed: " + failed);
    }
    return MLOPS_OK;
  }

  StageIo& io_;
  EvaluatorParams params_;
  std::vector<metrics::Gate> gates_;
  std::string compare_metric_;
  MlpModel model_;
  Dataset data_;
  Split split_;
  std::vector<double> predictions_;  // of split_.test
  metrics::EvaluationReport report_;
};

mlops_status Entry(mlops_stage* stage, const mlops_host_api* host) {
  return GuardedRun(stage, host, [](StageIo& io) { return Evaluation(io).Run(); });
}

}  // namespace
}  // namespace mlops::ml

extern "C" MLOPS_PLUGIN_EXPORT int mlops_plugin_entry(mlops_plugin_info* info) {
  return mlops::ml::DescribePlugin(info, "evaluator", mlops::ml::kVersion, &mlops::ml::Entry);
}
