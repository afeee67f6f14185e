// Classification metrics of predicted class probabilities, each computed as
// scikit-learn 1.2's sklearn.metrics computes it (same conventions for
// ill-defined values, same summation order), so reports agree with a
// notebook to the last bits. Classes are indices 0..k-1; the predicted
// class is the argmax of a row (ties to the lowest index, like numpy).
// Pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "metrics/metric_set.h"
#include "mlops/common/status.h"

namespace mlops::ml::metrics {

// confusion[t][p]: samples of true class t predicted as class p.
using ConfusionMatrix = std::vector<std::vector<int64_t>>;

struct ClassificationEvaluation {
  MetricSet metrics;
  ConfusionMatrix confusion;  // k x k
};

// All of ClassificationMetricNames() for y_true (class indices) and proba
// (y_true.size() rows x k columns, row-major):
//  - accuracy; precision, recall, f1 of class 1 when k == 2 and their macro
//    averages otherwise; *_macro over the classes present in y_true or in
//    the predictions (sklearn's average='macro'); 0 where the ratio is
//    ill-defined, with a warning (sklearn's zero_division="warn");
//  - roc_auc and pr_auc (ranking_metrics.h): binary on column 1 when
//    k == 2, one-vs-rest macro otherwise; undefined (with the reason) when
//    y_true lacks a class ROC-AUC needs;
//  - log_loss over all k classes (LogLoss).
// InvalidArgument when the input is empty, k < 2, the sizes disagree, a
// label is outside [0, k) or a probability is not finite.
Status EvaluateClassification(std::span<const int> y_true, std::span<const double> proba, size_t k,
                              ClassificationEvaluation* out);

// Building blocks. REQUIRES: y_true and y_pred non-empty, of equal size,
// values in [0, k).
std::vector<int> ArgmaxClasses(std::span<const double> proba, size_t k);
double Accuracy(std::span<const int> y_true, std::span<const int> y_pred);
ConfusionMatrix Confusion(std::span<const int> y_true, std::span<const int> y_pred, size_t k);

struct PrecisionRecallF1 {
  double precision = 0, recall = 0, f1 = 0;
};
// Of class `positive` alone (sklearn's average='binary').
PrecisionRecallF1 BinaryPrf(std::span<const int> y_true, std::span<const int> y_pred, int positive,
                            std::vector<std::string>* warnings);
// Unweighted mean over the classes present in y_true or y_pred.
PrecisionRecallF1 MacroPrf(std::span<const int> y_true, std::span<const int> y_pred,
                           std::vector<std::string>* warnings);

// sklearn's log_loss(y_true, proba, labels=range(k)) with eps="auto":
// probabilities clipped to [eps, 1 - eps] (eps = DBL_EPSILON), rows
// renormalised, mean of -log p[true class]. InvalidArgument as for
// EvaluateClassification.
Status LogLoss(std::span<const int> y_true, std::span<const double> proba, size_t k, double* out);

}  // namespace mlops::ml::metrics
