// Trial: one evaluation of the objective at one point of a search space,
// as recorded by the search (search.h). Plain value.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "search/space.h"

namespace mlops::ml {

enum class Direction { kMaximize, kMinimize };

// True when `a` is strictly better than `b` in `direction`. NaN is never
// better and everything finite is better than NaN.
bool IsBetter(Direction direction, double a, double b);

enum class TrialStatus {
  kCompleted,  // the objective returned a value
  kPruned,     // stopped early by the pruner; value = its best intermediate value
  kFailed,     // the objective reported an error (or threw)
  kCancelled,  // the search was cancelled while it ran
};

const char* ToString(TrialStatus status);  // completed | pruned | failed | cancelled

struct Intermediate {
  int64_t step = 0;
  double value = 0;
};

struct Trial {
  int number = 0;                  // 0-based, in suggestion order
  ParamValues params;              // the values the objective saw
  std::vector<double> x;           // the point (space.h coordinates)
  TrialStatus status = TrialStatus::kCompleted;
  double value = std::numeric_limits<double>::quiet_NaN();
  std::vector<Intermediate> intermediate;  // reported values, in step order
  std::string error;               // failed: why
  double seconds = 0;              // wall time of the objective

  // Whether samplers may learn from this trial (completed or pruned, finite value).
  bool HasValue() const;
  // The value reported at `step`, or false when none was.
  bool ValueAt(int64_t step, double* out) const;
};

// {number, params, status, value (null when none), steps: [[step, value]...], error?, seconds}.
nlohmann::json ToJson(const Trial& trial);

}  // namespace mlops::ml
