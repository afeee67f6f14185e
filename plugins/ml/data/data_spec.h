// DataSpec: where a stage's data set is and how to read it, from the
// `data` member of a stage's `with` (docs/ml-plugins.md, "Data").
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "mlops/common/status.h"

namespace mlops::ml {

struct ColumnRule {
  std::optional<double> min, max;  // inclusive range
  bool allow_missing = false;      // empty / NA / NaN allowed (imputed with the train mean)
};

struct DataSpec {
  std::string path;        // .csv or .csv.gz; absolute (resolved by the caller)
  std::string label_path;  // optional: the label in its own one-column file
  // "csv": optional header line of names; "sklearn": scikit-learn's layout
  // (first line "n_samples,n_features,class names...", label last).
  std::string format = "csv";
  bool header = true;      // csv: the first line names the columns
  std::string delimiter = ",";  // "," ";" "\t" or "whitespace"
  std::string label;       // label column name; empty = the last column
  Task task = Task::kClassification;
  std::vector<std::string> classes;       // declared class names (else inferred)
  std::map<std::string, ColumnRule> columns;  // per feature column name
  std::vector<std::string> drop;          // columns to ignore
};

// Parses the `data` object; relative paths are resolved against base_dir.
Status ParseDataSpec(const nlohmann::json& j, const std::string& base_dir, DataSpec* out);
nlohmann::json ToJson(const DataSpec& spec);

}  // namespace mlops::ml
