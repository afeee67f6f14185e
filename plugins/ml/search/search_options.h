// SearchOptions: how a search runs (strategy, budget, parallelism, seed,
// pruner), read from the keys of a stage's `with` that SearchOptionKeys()
// lists. The objective's direction is the caller's to set.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlops/common/status.h"
#include "search/pruner.h"
#include "search/tpe_sampler.h"
#include "search/trial.h"

namespace mlops::ml {

enum class Strategy { kGrid, kRandom, kTpe };

const char* ToString(Strategy strategy);  // grid | random | tpe

struct SearchOptions {
  Strategy strategy = Strategy::kTpe;
  int trials = 0;        // 0: the full grid (grid), 20 (random, tpe)
  int parallel = 1;      // trials per batch, run at once
  uint64_t seed = 42;
  Direction direction = Direction::kMaximize;
  int grid_points = 3;   // grid: values per int / continuous dimension
  TpeOptions tpe;
  PrunerOptions pruner;
};

// Reads strategy, trials, parallel, seed, grid_points, n_startup, gamma,
// candidates and pruner (each optional) from `with`; other keys are left to
// the caller. Errors name the key and the allowed values.
Status ParseSearchOptions(const nlohmann::json& with, SearchOptions* out);
const std::vector<std::string>& SearchOptionKeys();
nlohmann::json ToJson(const SearchOptions& options);

}  // namespace mlops::ml
