// Dataset: a table of numeric features and one label column, as loaded from
// a CSV file (csv_loader.h). Plain value; no I/O.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mlops::ml {

enum class Task { kClassification, kRegression };

const char* ToString(Task task);  // "classification" | "regression"
// The inverse of ToString; false (and *out untouched) for any other text.
bool ParseTask(std::string_view text, Task* out);

struct Dataset {
  std::string source;                      // the file it came from, for messages
  Task task = Task::kClassification;
  std::vector<std::string> feature_names;  // cols entries
  std::string label_name;
  // Classification: the class names; labels[i] is an index into classes.
  std::vector<std::string> classes;
  size_t rows = 0;
  size_t cols = 0;
  std::vector<float> features;  // rows * cols, row-major
  std::vector<double> labels;   // rows: class index, or the regression target

  const float* row(size_t i) const { return features.data() + i * cols; }
  size_t num_classes() const { return classes.size(); }
};

}  // namespace mlops::ml
