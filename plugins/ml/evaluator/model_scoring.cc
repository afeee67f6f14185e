#include "evaluator/model_scoring.h"

#include <algorithm>

#include "metrics/regression_metrics.h"
#include "metrics/slices.h"

namespace mlops::ml {

namespace {

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

const std::vector<std::string>& TaskMetricNames(Task task) {
  return task == Task::kClassification ? metrics::ClassificationMetricNames()
                                       : metrics::RegressionMetricNames();
}

Status ScorePredictions(const MlpModel& model, const Dataset& data, const std::vector<size_t>& rows,
                        const std::vector<double>& predictions, RowsScore* out) {
  *out = RowsScore{};
  if (model.task == Task::kRegression) {
    std::vector<double> y;
    y.reserve(rows.size());
    for (size_t r : rows) y.push_back(data.labels[r]);
    return metrics::EvaluateRegression(y, predictions, &out->metrics);
  }
  std::vector<int> y;
  y.reserve(rows.size());
  for (size_t r : rows) y.push_back(static_cast<int>(data.labels[r]));
  metrics::ClassificationEvaluation e;
  MLOPS_RETURN_IF_ERROR(metrics::EvaluateClassification(y, predictions, model.outputs(), &e));
  out->metrics = std::move(e.metrics);
  out->confusion = std::move(e.confusion);
  return Status::OK();
}

Status ScoreRows(const MlpModel& model, const Dataset& data, const std::vector<size_t>& rows,
                 RowsScore* out) {
  return ScorePredictions(model, data, rows, PredictRows(model, data, rows), out);
}

Status ScoreSlices(const MlpModel& model, const Dataset& data, const std::vector<size_t>& rows,
                   const std::vector<double>& predictions, const std::vector<std::string>& columns,
                   std::vector<metrics::SliceMetrics>* out) {
  out->clear();
  const size_t width = rows.empty() ? 0 : predictions.size() / rows.size();
  for (const std::string& column : columns) {
    auto it = std::find(data.feature_names.begin(), data.feature_names.end(), column);
    if (it == data.feature_names.end()) {
      return Status::InvalidArgument("slices: no feature column '" + column +
                                     "' (columns: " + Join(data.feature_names) + ")");
    }
    const size_t col = static_cast<size_t>(it - data.feature_names.begin());
    std::vector<double> values;
    values.reserve(rows.size());
    for (size_t r : rows) values.push_back(data.row(r)[col]);
    for (const metrics::Slice& s : metrics::SliceByColumn(column, values)) {
      std::vector<size_t> slice_rows;
      std::vector<double> slice_predictions;
      for (size_t i : s.members) {
        slice_rows.push_back(rows[i]);
        slice_predictions.insert(slice_predictions.end(), predictions.begin() + i * width,
                                 predictions.begin() + (i + 1) * width);
      }
      RowsScore score;
      MLOPS_RETURN_IF_ERROR(ScorePredictions(model, data, slice_rows, slice_predictions, &score));
      out->push_back({column, s.label, slice_rows.size(), std::move(score.metrics)});
    }
  }
  return Status::OK();
}

Status CheckComparable(const MlpModel& challenger, const MlpModel& champion) {
  if (champion.task != challenger.task) {
    return Status::InvalidArgument(std::string("it is a ") + ToString(champion.task) +
                                   " model, the challenger a " + ToString(challenger.task) +
                                   " one");
  }
  if (champion.feature_names != challenger.feature_names) {
    return Status::InvalidArgument("its features (" + Join(champion.feature_names) +
                                   ") differ from the challenger's (" +
                                   Join(challenger.feature_names) + ")");
  }
  if (champion.classes != challenger.classes) {
    return Status::InvalidArgument("its classes (" + Join(champion.classes) +
                                   ") differ from the challenger's (" + Join(challenger.classes) +
                                   ")");
  }
  return Status::OK();
}

}  // namespace mlops::ml
