#include "drift/sample.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace mlops::ml::drift {

Status PresentValues(std::string_view side, std::span<const double> values,
                     std::vector<double>* out, uint64_t* missing) {
  out->clear();
  out->reserve(values.size());
  uint64_t nan = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (std::isnan(v)) {
      ++nan;
    } else if (std::isinf(v)) {
      return Status::InvalidArgument(std::string(side) + " sample: value " + std::to_string(i) +
                                     " is infinite");
    } else {
      out->push_back(v);
    }
  }
  if (missing != nullptr) *missing = nan;
  if (out->empty()) {
    return Status::InvalidArgument(std::string(side) + " sample has no value (" +
                                   std::to_string(values.size()) + " rows" +
                                   (values.empty() ? "" : ", all missing") + ")");
  }
  return Status::OK();
}

Status SortedPresentValues(std::string_view side, std::span<const double> values,
                           std::vector<double>* out) {
  MLOPS_RETURN_IF_ERROR(PresentValues(side, values, out));
  std::sort(out->begin(), out->end());
  return Status::OK();
}

}  // namespace mlops::ml::drift
