// Threshold-free ranking metrics of probability scores, as scikit-learn
// 1.2 computes them: ROC-AUC (trapezoidal area under the ROC curve, one
// point per distinct score, so tied scores count half) and average
// precision (the step-wise area under the precision-recall curve, sklearn's
// average_precision_score, reported as PR-AUC). The multi-class forms are
// one-vs-rest macro averages over all k columns. Pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mlops/common/status.h"

namespace mlops::ml::metrics {

// is_positive[i] != 0 marks sample i positive; score[i] is its score.
// InvalidArgument when the input is empty, the sizes differ, a score is not
// finite, or only one class is present (ROC-AUC is undefined then; the
// message says so, like sklearn's ValueError).
Status BinaryRocAuc(std::span<const uint8_t> is_positive, std::span<const double> score,
                    double* out);

// Average precision. With no positive sample it is 0 and *warning says why
// (sklearn sets recall to one and warns); otherwise *warning is cleared.
// InvalidArgument when the input is empty, the sizes differ or a score is
// not finite.
Status BinaryAveragePrecision(std::span<const uint8_t> is_positive, std::span<const double> score,
                              double* out, std::string* warning);

// One-vs-rest macro ROC-AUC of proba (y_true.size() rows x k columns,
// row-major) for labels 0..k-1, as roc_auc_score(multi_class='ovr',
// average='macro', labels=range(k)). Rows must sum to 1 (np.allclose), and
// every class must be present in y_true, else InvalidArgument.
// REQUIRES: y_true values in [0, k).
Status OvrRocAuc(std::span<const int> y_true, std::span<const double> proba, size_t k, double* out);

// One-vs-rest macro average precision over columns 0..k-1, as
// average_precision_score(label_binarize(y_true, classes=range(k)), proba,
// average='macro'). A class without samples contributes 0 and a warning.
// REQUIRES: y_true values in [0, k).
Status OvrAveragePrecision(std::span<const int> y_true, std::span<const double> proba, size_t k,
                           double* out, std::vector<std::string>* warnings);

}  // namespace mlops::ml::metrics
