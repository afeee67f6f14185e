// Deterministic train / validation / test splits (stratified by class for
// classification) and k folds, from a seed. The same dataset, spec and seed
// give the same indices on every machine (data/rng.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "data/dataset.h"
#include "mlops/common/status.h"

namespace mlops::ml {

struct SplitSpec {
  uint64_t seed = 42;
  double validation = 0.2;  // fractions of all rows
  double test = 0.2;
  bool stratify = true;     // classification only
};

struct Split {
  std::vector<size_t> train, validation, test;  // row indices, each sorted
};

// Reads {seed, validation, test, stratify} (all optional) from j. Errors
// name the key and the allowed range.
Status ParseSplitSpec(const nlohmann::json& j, SplitSpec* out);
nlohmann::json ToJson(const SplitSpec& spec);

Status MakeSplit(const Dataset& data, const SplitSpec& spec, Split* out);

// k stratified folds over `rows` (indices into data), for cross-validation.
Status MakeFolds(const Dataset& data, const std::vector<size_t>& rows, int k, uint64_t seed,
                 std::vector<std::vector<size_t>>* folds);

}  // namespace mlops::ml
