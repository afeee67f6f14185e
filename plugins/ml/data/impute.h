// Filling missing feature values (NaN, from columns with allow_missing) with
// a column mean fitted on some rows, typically the training rows, so that
// validation and test rows do not leak into the fill value.
#pragma once

#include <cstddef>
#include <vector>

#include "data/dataset.h"

namespace mlops::ml {

// Per column: the mean of the non-NaN values over `rows`; 0 for a column
// with no value there. REQUIRES: every index < data.rows.
std::vector<float> ColumnMeans(const Dataset& data, const std::vector<size_t>& rows);

// Replaces every NaN of column c, in all rows, by means[c].
// REQUIRES: means.size() == data->cols.
void FillMissing(Dataset* data, const std::vector<float>& means);

// FillMissing(data, ColumnMeans(*data, rows_to_fit)).
void ImputeMissing(Dataset* data, const std::vector<size_t>& rows_to_fit);

// True when some feature value is NaN.
bool HasMissing(const Dataset& data);

}  // namespace mlops::ml
