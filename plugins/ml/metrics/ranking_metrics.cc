#include "metrics/ranking_metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "metrics/summation.h"

namespace mlops::ml::metrics {

namespace {

// sklearn's _binary_clf_curve: cumulative true / false positive counts at
// each distinct score, scores taken in decreasing order. Counts are exact
// integers held in doubles, as sklearn holds them.
struct Curve {
  std::vector<double> tps, fps;
};

Status CheckBinaryInput(const char* metric, std::span<const uint8_t> is_positive,
                        std::span<const double> score) {
  if (score.empty()) return Status::InvalidArgument(std::string(metric) + ": empty input");
  if (is_positive.size() != score.size()) {
    return Status::InvalidArgument(std::string(metric) + ": " + std::to_string(is_positive.size()) +
                                   " labels but " + std::to_string(score.size()) + " scores");
  }
  for (size_t i = 0; i < score.size(); ++i) {
    if (!std::isfinite(score[i])) {
      return Status::InvalidArgument(std::string(metric) + ": score of sample " +
                                     std::to_string(i) + " is not finite");
    }
  }
  return Status::OK();
}

Curve ThresholdCurve(std::span<const uint8_t> is_positive, std::span<const double> score) {
  std::vector<size_t> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return score[a] > score[b]; });
  Curve c;
  double tp = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    if (is_positive[order[i]] != 0) tp += 1;
    const bool last_of_value = i + 1 == order.size() || score[order[i]] != score[order[i + 1]];
    if (last_of_value) {
      c.tps.push_back(tp);
      c.fps.push_back(static_cast<double>(i + 1) - tp);
    }
  }
  return c;
}

Status CheckOvrInput(const char* metric, std::span<const int> y_true, std::span<const double> proba,
                     size_t k) {
  if (y_true.empty()) return Status::InvalidArgument(std::string(metric) + ": empty input");
  if (k < 2 || proba.size() != y_true.size() * k) {
    return Status::InvalidArgument(std::string(metric) + ": expected " +
                                   std::to_string(y_true.size()) + " x " + std::to_string(k) +
                                   " probabilities, got " + std::to_string(proba.size()));
  }
  return Status::OK();
}

void ClassColumn(std::span<const int> y_true, std::span<const double> proba, size_t k, size_t c,
                 std::vector<uint8_t>* positive, std::vector<double>* score) {
  positive->resize(y_true.size());
  score->resize(y_true.size());
  for (size_t i = 0; i < y_true.size(); ++i) {
    (*positive)[i] = y_true[i] == static_cast<int>(c) ? 1 : 0;
    (*score)[i] = proba[i * k + c];
  }
}

}  // namespace

Status BinaryRocAuc(std::span<const uint8_t> is_positive, std::span<const double> score,
                    double* out) {
  MLOPS_RETURN_IF_ERROR(CheckBinaryInput("roc_auc", is_positive, score));
  Curve c = ThresholdCurve(is_positive, score);
  const double pos = c.tps.back();
  const double neg = c.fps.back();
  if (pos == 0 || neg == 0) {
    return Status::InvalidArgument("roc_auc is undefined: only one class present in y_true (" +
                                   std::string(pos == 0 ? "no positive" : "no negative") +
                                   " samples)");
  }
  // roc_curve(drop_intermediate=True): keep the ends and every corner.
  std::vector<double> fps{0.0}, tps{0.0};
  const size_t m = c.tps.size();
  for (size_t i = 0; i < m; ++i) {
    bool keep = true;
    if (m > 2 && i > 0 && i + 1 < m) {
      keep = (c.fps[i + 1] - 2 * c.fps[i] + c.fps[i - 1]) != 0 ||
             (c.tps[i + 1] - 2 * c.tps[i] + c.tps[i - 1]) != 0;
    }
    if (keep) {
      fps.push_back(c.fps[i]);
      tps.push_back(c.tps[i]);
    }
  }
  // auc(fpr, tpr): np.trapz, summed as numpy sums.
  std::vector<double> terms(fps.size() - 1);
  for (size_t i = 1; i < fps.size(); ++i) {
    const double dx = fps[i] / neg - fps[i - 1] / neg;
    terms[i - 1] = dx * (tps[i] / pos + tps[i - 1] / pos) / 2.0;
  }
  *out = PairwiseSum(terms);
  return Status::OK();
}

Status BinaryAveragePrecision(std::span<const uint8_t> is_positive, std::span<const double> score,
                              double* out, std::string* warning) {
  MLOPS_RETURN_IF_ERROR(CheckBinaryInput("pr_auc", is_positive, score));
  warning->clear();
  Curve c = ThresholdCurve(is_positive, score);
  const size_t m = c.tps.size();
  const double pos = c.tps.back();
  if (pos == 0) {
    *warning = "pr_auc: no positive sample in y_true; recall is set to one, average precision is 0";
  }
  // -sum(diff(recall) * precision[:-1]) over precision_recall_curve's
  // reversed arrays, term by term as sklearn forms them.
  auto recall = [&](size_t i) { return pos == 0 ? 1.0 : c.tps[i] / pos; };
  std::vector<double> terms(m);
  for (size_t j = 0; j < m; ++j) {
    const size_t i = m - 1 - j;  // reversed: increasing thresholds
    const double next_recall = i == 0 ? 0.0 : recall(i - 1);
    const double ps = c.tps[i] + c.fps[i];
    const double precision = ps != 0 ? c.tps[i] / ps : 0.0;
    terms[j] = (next_recall - recall(i)) * precision;
  }
  *out = -PairwiseSum(terms);
  if (*out == 0.0) *out = 0.0;  // no -0.0 in reports
  return Status::OK();
}

Status OvrRocAuc(std::span<const int> y_true, std::span<const double> proba, size_t k,
                 double* out) {
  MLOPS_RETURN_IF_ERROR(CheckOvrInput("roc_auc", y_true, proba, k));
  for (size_t i = 0; i < y_true.size(); ++i) {
    const double s = PairwiseSum(proba.data() + i * k, k);
    if (!(std::fabs(1.0 - s) <= 1e-8 + 1e-5 * std::fabs(s))) {
      return Status::InvalidArgument("roc_auc: the probabilities of row " + std::to_string(i) +
                                     " sum to " + std::to_string(s) + ", not 1");
    }
  }
  std::vector<uint8_t> positive;
  std::vector<double> score, per_class(k);
  for (size_t c = 0; c < k; ++c) {
    ClassColumn(y_true, proba, k, c, &positive, &score);
    Status st = BinaryRocAuc(positive, score, &per_class[c]);
    if (!st.ok()) {
      return Status::InvalidArgument("roc_auc is undefined: one-vs-rest for class " +
                                     std::to_string(c) + " has only one class present in y_true");
    }
  }
  *out = Mean(per_class);
  return Status::OK();
}

Status OvrAveragePrecision(std::span<const int> y_true, std::span<const double> proba, size_t k,
                           double* out, std::vector<std::string>* warnings) {
  MLOPS_RETURN_IF_ERROR(CheckOvrInput("pr_auc", y_true, proba, k));
  std::vector<uint8_t> positive;
  std::vector<double> score, per_class(k);
  for (size_t c = 0; c < k; ++c) {
    ClassColumn(y_true, proba, k, c, &positive, &score);
    std::string warning;
    MLOPS_RETURN_IF_ERROR(BinaryAveragePrecision(positive, score, &per_class[c], &warning));
    if (!warning.empty()) {
      warnings->push_back("pr_auc: class " + std::to_string(c) +
                          " has no sample in y_true; its average precision is 0");
    }
  }
  *out = Mean(per_class);
  return Status::OK();
}

}  // namespace mlops::ml::metrics
