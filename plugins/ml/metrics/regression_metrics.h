// Regression metrics, each computed as scikit-learn 1.2's sklearn.metrics
// computes it (same conventions, same summation order). Pure functions.
#pragma once

#include <span>

#include "metrics/metric_set.h"
#include "mlops/common/status.h"

namespace mlops::ml::metrics {

// All of RegressionMetricNames() (rmse, mae, r2, mape). r2 is undefined
// (with the reason) for fewer than two samples, where sklearn returns NaN.
// InvalidArgument when the input is empty, the sizes differ or a value is
// not finite.
Status EvaluateRegression(std::span<const double> y_true, std::span<const double> y_pred,
                          MetricSet* out);

// Building blocks. REQUIRES: non-empty, equal sizes, finite values.
double Rmse(std::span<const double> y_true, std::span<const double> y_pred);
double Mae(std::span<const double> y_true, std::span<const double> y_pred);
// mean(|y_pred - y_true| / max(|y_true|, DBL_EPSILON)): a zero target makes
// the error huge rather than infinite (sklearn's
// mean_absolute_percentage_error). A fraction, not a percentage.
double Mape(std::span<const double> y_true, std::span<const double> y_pred);
// 1 - SS_res / SS_tot. Constant y_true: 1.0 when the predictions are exact,
// else 0.0 (sklearn's force_finite). InvalidArgument for fewer than two
// samples.
Status R2(std::span<const double> y_true, std::span<const double> y_pred, double* out);

}  // namespace mlops::ml::metrics
