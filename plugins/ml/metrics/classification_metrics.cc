#include "metrics/classification_metrics.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <set>

#include "metrics/ranking_metrics.h"
#include "metrics/summation.h"

namespace mlops::ml::metrics {

namespace {

Status CheckInput(std::span<const int> y_true, std::span<const double> proba, size_t k) {
  if (y_true.empty()) return Status::InvalidArgument("classification metrics: empty input");
  if (k < 2) {
    return Status::InvalidArgument("classification metrics: need at least 2 classes, got " +
                                   std::to_string(k));
  }
  if (proba.size() != y_true.size() * k) {
    return Status::InvalidArgument("classification metrics: expected " +
                                   std::to_string(y_true.size()) + " x " + std::to_string(k) +
                                   " probabilities, got " + std::to_string(proba.size()));
  }
  for (size_t i = 0; i < y_true.size(); ++i) {
    if (y_true[i] < 0 || static_cast<size_t>(y_true[i]) >= k) {
      return Status::InvalidArgument("classification metrics: label " + std::to_string(y_true[i]) +
                                     " of sample " + std::to_string(i) + " is not in [0, " +
                                     std::to_string(k) + ")");
    }
  }
  for (size_t i = 0; i < proba.size(); ++i) {
    if (!std::isfinite(proba[i])) {
      return Status::InvalidArgument("classification metrics: probability of sample " +
                                     std::to_string(i / k) + ", class " + std::to_string(i % k) +
                                     " is not finite");
    }
  }
  return Status::OK();
}

// One class's precision, recall and F1 from its counts, as sklearn's
// precision_recall_fscore_support with zero_division="warn".
PrecisionRecallF1 ClassPrf(double tp, double predicted, double actual, const std::string& label,
                           std::vector<std::string>* warnings) {
  auto warn = [&](const char* what) {
    warnings->push_back(std::string(what) + " (" + label + ")");
  };
  PrecisionRecallF1 r;
  if (predicted != 0) {
    r.precision = tp / predicted;
  } else {
    warn("precision is ill-defined and set to 0.0: no predicted samples");
  }
  if (actual != 0) {
    r.recall = tp / actual;
  } else {
    warn("recall is ill-defined and set to 0.0: no true samples");
  }
  if (predicted == 0 && actual == 0)
    warn("f1 is ill-defined and set to 0.0: no true nor predicted samples");
  double denom = r.precision + r.recall;
  if (denom == 0.0) denom = 1;
  r.f1 = (1 + 1.0) * r.precision * r.recall / denom;
  return r;
}

}  // namespace

std::vector<int> ArgmaxClasses(std::span<const double> proba, size_t k) {
  std::vector<int> out(proba.size() / k);
  for (size_t i = 0; i < out.size(); ++i) {
    size_t best = 0;
    for (size_t c = 1; c < k; ++c) {
      if (proba[i * k + c] > proba[i * k + best]) best = c;
    }
    out[i] = static_cast<int>(best);
  }
  return out;
}

double Accuracy(std::span<const int> y_true, std::span<const int> y_pred) {
  size_t hits = 0;
  for (size_t i = 0; i < y_true.size(); ++i) hits += y_true[i] == y_pred[i] ? 1 : 0;
  return static_cast<double>(hits) / static_cast<double>(y_true.size());
}

ConfusionMatrix Confusion(std::span<const int> y_true, std::span<const int> y_pred, size_t k) {
  ConfusionMatrix m(k, std::vector<int64_t>(k, 0));
  for (size_t i = 0; i < y_true.size(); ++i) ++m[y_true[i]][y_pred[i]];
  return m;
}

PrecisionRecallF1 BinaryPrf(std::span<const int> y_true, std::span<const int> y_pred, int positive,
                            std::vector<std::string>* warnings) {
  double tp = 0, predicted = 0, actual = 0;
  for (size_t i = 0; i < y_true.size(); ++i) {
    const bool t = y_true[i] == positive, p = y_pred[i] == positive;
    tp += t && p ? 1 : 0;
    predicted += p ? 1 : 0;
    actual += t ? 1 : 0;
  }
  return ClassPrf(tp, predicted, actual, "class " + std::to_string(positive), warnings);
}

PrecisionRecallF1 MacroPrf(std::span<const int> y_true, std::span<const int> y_pred,
                           std::vector<std::string>* warnings) {
  std::set<int> labels(y_true.begin(), y_true.end());
  labels.insert(y_pred.begin(), y_pred.end());
  std::vector<double> p, r, f;
  for (int label : labels) {
    PrecisionRecallF1 one = BinaryPrf(y_true, y_pred, label, warnings);
    p.push_back(one.precision);
    r.push_back(one.recall);
    f.push_back(one.f1);
  }
  return {Mean(p), Mean(r), Mean(f)};
}

Status LogLoss(std::span<const int> y_true, std::span<const double> proba, size_t k, double* out) {
  MLOPS_RETURN_IF_ERROR(CheckInput(y_true, proba, k));
  const double eps = DBL_EPSILON;
  std::vector<double> row(k), loss(y_true.size());
  for (size_t i = 0; i < y_true.size(); ++i) {
    for (size_t c = 0; c < k; ++c) row[c] = std::clamp(proba[i * k + c], eps, 1 - eps);
    const double sum = PairwiseSum(row);
    loss[i] = -std::log(row[y_true[i]] / sum);
  }
  *out = Mean(loss);
  return Status::OK();
}

Status EvaluateClassification(std::span<const int> y_true, std::span<const double> proba, size_t k,
                              ClassificationEvaluation* out) {
  MLOPS_RETURN_IF_ERROR(CheckInput(y_true, proba, k));
  *out = ClassificationEvaluation{};
  MetricSet& m = out->metrics;
  const std::vector<int> y_pred = ArgmaxClasses(proba, k);
  out->confusion = Confusion(y_true, y_pred, k);
  m.Set("accuracy", Accuracy(y_true, y_pred));

  std::vector<std::string> warnings;
  const PrecisionRecallF1 macro = MacroPrf(y_true, y_pred, &warnings);
  PrecisionRecallF1 headline = macro;
  if (k == 2) {
    for (const std::string& w : warnings) m.Warn("macro average: " + w);
    warnings.clear();
    headline = BinaryPrf(y_true, y_pred, 1, &warnings);
  }
  for (const std::string& w : warnings) m.Warn(w);
  m.Set("precision", headline.precision);
  m.Set("recall", headline.recall);
  m.Set("f1", headline.f1);
  m.Set("precision_macro", macro.precision);
  m.Set("recall_macro", macro.recall);
  m.Set("f1_macro", macro.f1);

  std::vector<uint8_t> positive;
  std::vector<double> score;
  double value = 0;
  Status st;
  if (k == 2) {
    for (size_t i = 0; i < y_true.size(); ++i) {
      positive.push_back(y_true[i] == 1 ? 1 : 0);
      score.push_back(proba[i * 2 + 1]);
    }
    st = BinaryRocAuc(positive, score, &value);
  } else {
    st = OvrRocAuc(y_true, proba, k, &value);
  }
  if (st.ok()) {
    m.Set("roc_auc", value);
  } else {
    m.SetUndefined("roc_auc", st.message());
  }

  warnings.clear();
  if (k == 2) {
    std::string warning;
    st = BinaryAveragePrecision(positive, score, &value, &warning);
    if (!warning.empty()) warnings.push_back(warning);
  } else {
    st = OvrAveragePrecision(y_true, proba, k, &value, &warnings);
  }
  if (st.ok()) {
    m.Set("pr_auc", value);
  } else {
    m.SetUndefined("pr_auc", st.message());
  }
  for (const std::string& w : warnings) m.Warn(w);

  MLOPS_RETURN_IF_ERROR(LogLoss(y_true, proba, k, &value));
  m.Set("log_loss", value);
  return Status::OK();
}

}  // namespace mlops::ml::metrics
