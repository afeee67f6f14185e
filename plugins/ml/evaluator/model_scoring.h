// Scoring an MlpModel on rows of a data set with the metrics library
// (metrics/): the evaluator's test split, its slices, a champion model and
// cross-validation folds all go through here. No torch. Pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "metrics/classification_metrics.h"
#include "metrics/evaluation_report.h"
#include "metrics/metric_set.h"
#include "mlops/common/status.h"
#include "model/mlp_model.h"
#include "model/model_data.h"  // PredictRows

namespace mlops::ml {

// The metrics an evaluation of `task` reports, in report order.
const std::vector<std::string>& TaskMetricNames(Task task);

struct RowsScore {
  metrics::MetricSet metrics;
  metrics::ConfusionMatrix confusion;  // classification
};

// The task's metrics of `predictions` (PredictRows of `rows`) against the
// labels of `rows`. InvalidArgument when rows is empty or a value is not
// finite (metrics/).
Status ScorePredictions(const MlpModel& model, const Dataset& data, const std::vector<size_t>& rows,
                        const std::vector<double>& predictions, RowsScore* out);

// PredictRows then ScorePredictions.
Status ScoreRows(const MlpModel& model, const Dataset& data, const std::vector<size_t>& rows,
                 RowsScore* out);

// Metrics per slice (metrics/slices.h) of `rows` for each feature column
// named in `columns`, from the predictions already made for `rows`.
// InvalidArgument naming a column the data does not have.
Status ScoreSlices(const MlpModel& model, const Dataset& data, const std::vector<size_t>& rows,
                   const std::vector<double>& predictions, const std::vector<std::string>& columns,
                   std::vector<metrics::SliceMetrics>* out);

// OK when `champion` can be scored on the challenger's data: same task,
// feature names and classes; else InvalidArgument saying what differs.
Status CheckComparable(const MlpModel& challenger, const MlpModel& champion);

}  // namespace mlops::ml
