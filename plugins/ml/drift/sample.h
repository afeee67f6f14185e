// The values a measure works on: a column's NaNs are missing values and are
// left out (and counted); an infinite value or a column with no value left
// is an error that names the side ("reference" or "current"), so no
// measure ever answers NaN. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "mlops/common/status.h"

namespace mlops::ml::drift {

// The non-NaN values of `values`, in order, into *out; *missing (optional)
// gets the number of NaNs. InvalidArgument when a value is infinite or no
// value is left.
Status PresentValues(std::string_view side, std::span<const double> values,
                     std::vector<double>* out, uint64_t* missing = nullptr);

// PresentValues, sorted ascending.
Status SortedPresentValues(std::string_view side, std::span<const double> values,
                           std::vector<double>* out);

}  // namespace mlops::ml::drift
