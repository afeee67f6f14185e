#include "metrics/slices.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace mlops::ml::metrics {

namespace {

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// numpy.percentile(sorted, q), method "linear".
double Percentile(const std::vector<double>& sorted, double q) {
  const double h = (static_cast<double>(sorted.size()) - 1) * q;
  const size_t lo = static_cast<size_t>(std::floor(h));
  if (lo + 1 >= sorted.size()) return sorted.back();
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

}  // namespace

std::vector<Slice> SliceByColumn(const std::string& column, std::span<const double> values) {
  std::vector<Slice> out;
  Slice missing{column + " missing", {}};
  std::vector<double> present;
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) {
      missing.members.push_back(i);
    } else {
      present.push_back(values[i]);
    }
  }
  std::sort(present.begin(), present.end());
  std::vector<double> distinct = present;
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());

  if (distinct.size() <= kMaxDistinctSlices) {
    std::map<double, Slice> by_value;
    for (size_t i = 0; i < values.size(); ++i) {
      if (std::isnan(values[i])) continue;
      Slice& s = by_value[values[i]];
      if (s.label.empty()) s.label = column + " = " + Num(values[i]);
      s.members.push_back(i);
    }
    for (auto& [v, s] : by_value) out.push_back(std::move(s));
  } else {
    const double q[3] = {Percentile(present, 0.25), Percentile(present, 0.5),
                         Percentile(present, 0.75)};
    Slice bins[4] = {{column + " <= " + Num(q[0]), {}},
                     {Num(q[0]) + " < " + column + " <= " + Num(q[1]), {}},
                     {Num(q[1]) + " < " + column + " <= " + Num(q[2]), {}},
                     {column + " > " + Num(q[2]), {}}};
    for (size_t i = 0; i < values.size(); ++i) {
      const double v = values[i];
      if (std::isnan(v)) continue;
      const size_t bin = v <= q[0] ? 0 : v <= q[1] ? 1 : v <= q[2] ? 2 : 3;
      bins[bin].members.push_back(i);
    }
    for (Slice& b : bins) {
      if (!b.members.empty()) out.push_back(std::move(b));
    }
  }
  if (!missing.members.empty()) out.push_back(std::move(missing));
  return out;
}

}  // namespace mlops::ml::metrics
