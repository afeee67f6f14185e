// Slices of an evaluation by one feature column, to see where a model is
// weak: one slice per distinct value when the column takes at most
// kMaxDistinctSlices values on the evaluated rows, else four bins cut at
// its quartiles (numpy's linear percentiles). Pure functions.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace mlops::ml::metrics {

inline constexpr size_t kMaxDistinctSlices = 10;

struct Slice {
  std::string label;            // "sex = 1", "age <= 34.5", "34.5 < age <= 50", "age missing"
  std::vector<size_t> members;  // positions in `values`, increasing
};

// values[i]: the column's value on the i-th evaluated row (NaN = missing).
// Slices are ordered by value; empty bins are left out.
std::vector<Slice> SliceByColumn(const std::string& column, std::span<const double> values);

}  // namespace mlops::ml::metrics
