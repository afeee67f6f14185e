#include "drift/ks.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "drift/sample.h"

namespace mlops::ml::drift {

namespace {

// Equal sizes n: by the reflection principle,
// Pr(D >= h/n) = 2 * sum_{k >= 1} (-1)^(k-1) * C(2n, n - kh) / C(2n, n),
// each ratio the previous one times prod (n - j + 1) / (n + j) over the
// next h values of j. The terms shrink, so the sum stops at the first 0.
// O(n) time, no memory.
double EqualSizesPValue(uint64_t n, uint64_t h) {
  double ratio = 1.0, sum = 0.0, sign = 1.0;
  for (uint64_t j = 1; j <= n; ++j) {
    ratio *= static_cast<double>(n - j + 1) / static_cast<double>(n + j);
    if (j % h != 0) continue;
    if (ratio == 0.0) break;
    sum += sign * ratio;
    sign = -sign;
  }
  return 2.0 * sum;
}

}  // namespace

double KsExactPValue(uint64_t n1, uint64_t n2, uint64_t h) {
  if (h == 0) return 1.0;
  if (n1 == n2) return std::clamp(EqualSizesPValue(n1, h), 0.0, 1.0);
  // Paths from (0, 0) to (m, n), m >= n; a path stays inside while every
  // point (x, y) has |ng * x - mg * y| < h. P[y] holds, for the current x,
  // the share of the binom(x + y, y) paths to (x, y) that stayed inside:
  // P(x, y) = P(x-1, y) * x / (x + y) + P(x, y-1) * y / (x + y).
  const int64_t m = static_cast<int64_t>(std::max(n1, n2));
  const int64_t n = static_cast<int64_t>(std::min(n1, n2));
  const int64_t g = std::gcd(m, n);
  const int64_t mg = m / g, ng = n / g;
  const int64_t hh = static_cast<int64_t>(h);
  // Inside for column x: ng*x - h < mg*y < ng*x + h.
  auto lowest = [&](int64_t x) {
    const int64_t a = ng * x - hh;  // y > a / mg
    const int64_t y = a >= 0 ? a / mg + 1 : -((-a) / mg) + ((-a) % mg == 0 ? 1 : 0);
    return std::max<int64_t>(y, 0);
  };
  auto highest = [&](int64_t x) {
    const int64_t b = ng * x + hh;  // y < b / mg
    return std::min<int64_t>((b - 1) / mg, n);
  };
  std::vector<double> p(static_cast<size_t>(n) + 1, 0.0);
  int64_t lo = 0, hi = highest(0);
  p[0] = 1.0;
  for (int64_t y = 1; y <= hi; ++y) p[static_cast<size_t>(y)] = 1.0;
  for (int64_t x = 1; x <= m; ++x) {
    const int64_t new_lo = lowest(x), new_hi = highest(x);
    for (int64_t y = lo; y < new_lo && y <= n; ++y) p[static_cast<size_t>(y)] = 0.0;
    for (int64_t y = new_lo; y <= new_hi; ++y) {
      const double xd = static_cast<double>(x), yd = static_cast<double>(y);
      const double from_left = p[static_cast<size_t>(y)] * xd;
      const double from_below = y > 0 ? p[static_cast<size_t>(y - 1)] * yd : 0.0;
      p[static_cast<size_t>(y)] = (from_left + from_below) / (xd + yd);
    }
    lo = new_lo;
    hi = new_hi;
  }
  return std::clamp(1.0 - p[static_cast<size_t>(n)], 0.0, 1.0);
}

Status KolmogorovSmirnov(std::span<const double> reference, std::span<const double> current,
                         KsResult* out) {
  std::vector<double> a, b;
  MLOPS_RETURN_IF_ERROR(SortedPresentValues("reference", reference, &a));
  MLOPS_RETURN_IF_ERROR(SortedPresentValues("current", current, &b));
  const int64_t n1 = static_cast<int64_t>(a.size()), n2 = static_cast<int64_t>(b.size());
  // The CDF gap at each distinct value, in units of 1 / (n1 * n2), exactly.
  int64_t widest = 0;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    const double v = j == b.size() || (i < a.size() && a[i] <= b[j]) ? a[i] : b[j];
    while (i < a.size() && a[i] == v) ++i;
    while (j < b.size() && b[j] == v) ++j;
    const int64_t gap = static_cast<int64_t>(i) * n2 - static_cast<int64_t>(j) * n1;
    widest = std::max(widest, gap < 0 ? -gap : gap);
  }
  const int64_t g = std::gcd(n1, n2);
  const uint64_t h = static_cast<uint64_t>(widest / g);
  const double lcm = static_cast<double>(n1 / g) * static_cast<double>(n2);
  out->statistic = static_cast<double>(h) / lcm;
  out->p_value = KsExactPValue(static_cast<uint64_t>(n1), static_cast<uint64_t>(n2), h);
  out->reference_rows = static_cast<uint64_t>(n1);
  out->current_rows = static_cast<uint64_t>(n2);
  return Status::OK();
}

}  // namespace mlops::ml::drift
