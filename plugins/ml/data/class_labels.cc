#include "data/class_labels.h"

#include <cmath>
#include <set>

#include "data/number_text.h"

namespace mlops::ml {
namespace {

bool FiniteNumber(std::string_view text, double* out) { return ParseNumber(text, out) && std::isfinite(*out); }

}  // namespace

ClassLabels::ClassLabels(std::vector<std::string> names) : names_(std::move(names)) {
  for (size_t i = 0; i < names_.size(); ++i) {
    by_name_.emplace(names_[i], i);
    double v;
    if (FiniteNumber(names_[i], &v)) by_value_.emplace(v, i);
  }
}

ClassLabels ClassLabels::Infer(const std::vector<std::string>& texts) {
  std::set<double> values;
  bool numeric = true;
  for (const auto& t : texts) {
    double v;
    if (!FiniteNumber(t, &v)) {
      numeric = false;
      break;
    }
    values.insert(v);
  }
  std::vector<std::string> names;
  if (numeric) {
    for (double v : values) names.push_back(FormatNumber(v));
  } else {
    const std::set<std::string> distinct(texts.begin(), texts.end());
    names.assign(distinct.begin(), distinct.end());
  }
  return ClassLabels(std::move(names));
}

long ClassLabels::Find(std::string_view text) const {
  if (auto it = by_name_.find(std::string(text)); it != by_name_.end()) return static_cast<long>(it->second);
  double v;
  if (!by_value_.empty() && FiniteNumber(text, &v)) {
    if (auto it = by_value_.find(v); it != by_value_.end()) return static_cast<long>(it->second);
  }
  return -1;
}

}  // namespace mlops::ml
