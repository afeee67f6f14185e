#include "drift/binned_measures.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string_view>
#include <vector>

namespace mlops::ml::drift {
namespace {

Status CheckCounts(std::span<const uint64_t> reference, std::span<const uint64_t> current,
                   double* ref_total, double* cur_total) {
  if (reference.size() != current.size()) {
    return Status::InvalidArgument("bin counts differ in size: reference " +
                                   std::to_string(reference.size()) + ", current " +
                                   std::to_string(current.size()));
  }
  if (reference.empty()) return Status::InvalidArgument("no bin to compare");
  *ref_total = static_cast<double>(std::accumulate(reference.begin(), reference.end(), uint64_t{0}));
  *cur_total = static_cast<double>(std::accumulate(current.begin(), current.end(), uint64_t{0}));
  if (*ref_total == 0) return Status::InvalidArgument("reference sample has no value (0 rows)");
  if (*cur_total == 0) return Status::InvalidArgument("current sample has no value (0 rows)");
  return Status::OK();
}

// x * ln(x / y), 0 where x is 0 (scipy.special.rel_entr for x, y >= 0).
double RelEntr(double x, double y) { return x > 0 ? x * std::log(x / y) : 0.0; }

}  // namespace

Status Psi(std::span<const uint64_t> reference, std::span<const uint64_t> current, double* out) {
  double n_ref = 0, n_cur = 0;
  MLOPS_RETURN_IF_ERROR(CheckCounts(reference, current, &n_ref, &n_cur));
  double psi = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    const double p = std::max(static_cast<double>(reference[i]) / n_ref, kPsiFloor);
    const double q = std::max(static_cast<double>(current[i]) / n_cur, kPsiFloor);
    psi += (q - p) * std::log(q / p);
  }
  *out = psi;
  return Status::OK();
}

Status JsDistance(std::span<const uint64_t> reference, std::span<const uint64_t> current,
                  double* out) {
  double n_ref = 0, n_cur = 0;
  MLOPS_RETURN_IF_ERROR(CheckCounts(reference, current, &n_ref, &n_cur));
  double left = 0, right = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    const double p = static_cast<double>(reference[i]) / n_ref;
    const double q = static_cast<double>(current[i]) / n_cur;
    const double m = (p + q) / 2.0;
    left += RelEntr(p, m);
    right += RelEntr(q, m);
  }
  // Rounding can leave the divergence a hair below 0 for equal shares.
  const double js = std::max(0.0, (left + right) / std::log(2.0));
  *out = std::sqrt(js / 2.0);
  return Status::OK();
}

Status CategoricalPsi(const std::map<std::string, uint64_t>& reference,
                      const std::map<std::string, uint64_t>& current, double* out) {
  std::vector<uint64_t> ref, cur;
  auto r = reference.begin();
  auto c = current.begin();
  while (r != reference.end() || c != current.end()) {
    if (c == current.end() || (r != reference.end() && r->first < c->first)) {
      ref.push_back(r->second);
      cur.push_back(0);
      ++r;
    } else if (r == reference.end() || c->first < r->first) {
      ref.push_back(0);
      cur.push_back(c->second);
      ++c;
    } else {
      ref.push_back(r->second);
      cur.push_back(c->second);
      ++r;
      ++c;
    }
  }
  return Psi(ref, cur, out);
}

}  // namespace mlops::ml::drift
