#include "drift/wasserstein.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "drift/sample.h"
#include "metrics/summation.h"

namespace mlops::ml::drift {
namespace {

// Integral of |F_a - F_b| over the merged sorted values. REQUIRES: a, b
// sorted and non-empty.
double CdfDistance(const std::vector<double>& a, const std::vector<double>& b) {
  const double n1 = static_cast<double>(a.size()), n2 = static_cast<double>(b.size());
  size_t i = 0, j = 0;
  double total = 0;
  double v = std::min(a[0], b[0]);
  while (i < a.size() || j < b.size()) {
    while (i < a.size() && a[i] <= v) ++i;
    while (j < b.size() && b[j] <= v) ++j;
    if (i == a.size() && j == b.size()) break;
    const double next = j == b.size() || (i < a.size() && a[i] <= b[j]) ? a[i] : b[j];
    total += std::abs(static_cast<double>(i) / n1 - static_cast<double>(j) / n2) * (next - v);
    v = next;
  }
  return total;
}

}  // namespace

double PopulationStd(std::span<const double> values) {
  const double mean = metrics::Mean(values);
  std::vector<double> squares(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const double d = values[i] - mean;
    squares[i] = d * d;
  }
  return std::sqrt(metrics::Mean(squares));
}

Status Wasserstein(std::span<const double> reference, std::span<const double> current,
                   double* out) {
  std::vector<double> a, b;
  MLOPS_RETURN_IF_ERROR(SortedPresentValues("reference", reference, &a));
  MLOPS_RETURN_IF_ERROR(SortedPresentValues("current", current, &b));
  *out = CdfDistance(a, b);
  return Status::OK();
}

Status NormalisedWasserstein(std::span<const double> reference, std::span<const double> current,
                             double* out) {
  std::vector<double> a;
  MLOPS_RETURN_IF_ERROR(PresentValues("reference", reference, &a));
  const double std = PopulationStd(a);
  if (!(std > 0)) {
    return Status::InvalidArgument(
        "reference is constant (standard deviation 0): the Wasserstein distance cannot be "
        "normalised by it");
  }
  double distance = 0;
  MLOPS_RETURN_IF_ERROR(Wasserstein(a, current, &distance));
  *out = distance / std;
  return Status::OK();
}

}  // namespace mlops::ml::drift
