// DataSpec: where a stage's data set is and how to read it, from the
// `data` member of a stage's `with` (docs/ml/data.md). Plain value.
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
  std::string label_path;  // optional: the label in its own one-column file, row for row
  // "csv": optional header line of names; "sklearn": scikit-learn's layout
  // (first line "n_samples,n_features,class names...", label last).
  std::string format = "csv";
  bool header = true;      // csv: the first line (of both files) names the columns
  std::string delimiter = ",";  // "," ";" "\t" or "whitespace"
  std::string label;       // label column name; empty = the last column
  Task task = Task::kClassification;
  std::vector<std::string> classes;       // declared class names (else inferred)
  // Per column name; a regression label column may have min/max. Columns
  // of a file without a header line are named col1, col2, ...
  std::map<std::string, ColumnRule> columns;
  std::vector<std::string> drop;          // columns to ignore
};

// Parses the `data` object; relative paths are resolved against base_dir
// (left relative when base_dir is empty). Keys are strict: InvalidArgument
// naming the key for an unknown key (with the allowed ones), a wrong type or
// a bad value, or keys that exclude each other. *out is set only on success.
Status ParseDataSpec(const nlohmann::json& j, const std::string& base_dir, DataSpec* out);
// Every field; ParseDataSpec(ToJson(s), "", &t) gives t == s.
nlohmann::json ToJson(const DataSpec& spec);

}  // namespace mlops::ml
