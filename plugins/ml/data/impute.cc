#include "data/impute.h"

#include <cmath>

namespace mlops::ml {

std::vector<float> ColumnMeans(const Dataset& data, const std::vector<size_t>& rows) {
  std::vector<double> sum(data.cols, 0.0);
  std::vector<size_t> count(data.cols, 0);
  for (size_t r : rows) {
    const float* x = data.row(r);
    for (size_t c = 0; c < data.cols; ++c) {
      if (std::isnan(x[c])) continue;
      sum[c] += x[c];
      ++count[c];
    }
  }
  std::vector<float> means(data.cols, 0.0f);
  for (size_t c = 0; c < data.cols; ++c) {
    if (count[c] > 0) means[c] = static_cast<float>(sum[c] / static_cast<double>(count[c]));
  }
  return means;
}

void FillMissing(Dataset* data, const std::vector<float>& means) {
  for (size_t i = 0; i < data->features.size(); ++i) {
    if (std::isnan(data->features[i])) data->features[i] = means[i % data->cols];
  }
}

void ImputeMissing(Dataset* data, const std::vector<size_t>& rows_to_fit) {
  if (!HasMissing(*data)) return;
  FillMissing(data, ColumnMeans(*data, rows_to_fit));
}

bool HasMissing(const Dataset& data) {
  for (float x : data.features) {
    if (std::isnan(x)) return true;
  }
  return false;
}

}  // namespace mlops::ml
