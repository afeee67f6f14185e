#include "search/trial.h"

#include <cmath>

namespace mlops::ml {

bool IsBetter(Direction direction, double a, double b) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return direction == Direction::kMaximize ? a > b : a < b;
}

const char* ToString(TrialStatus status) {
  switch (status) {
    case TrialStatus::kCompleted: return "completed";
    case TrialStatus::kPruned: return "pruned";
    case TrialStatus::kFailed: return "failed";
    case TrialStatus::kCancelled: return "cancelled";
  }
  return "unknown";
}

bool Trial::HasValue() const {
  return (status == TrialStatus::kCompleted || status == TrialStatus::kPruned) && std::isfinite(value);
}

bool Trial::ValueAt(int64_t step, double* out) const {
  for (const auto& i : intermediate) {
    if (i.step == step) {
      *out = i.value;
      return true;
    }
  }
  return false;
}

nlohmann::json ToJson(const Trial& trial) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& i : trial.intermediate) steps.push_back({i.step, i.value});
  nlohmann::json j = {{"number", trial.number},
                      {"params", trial.params},
                      {"status", ToString(trial.status)},
                      {"value", std::isfinite(trial.value) ? nlohmann::json(trial.value) : nlohmann::json()},
                      {"steps", std::move(steps)},
                      {"seconds", trial.seconds}};
  if (!trial.error.empty()) j["error"] = trial.error;
  return j;
}

}  // namespace mlops::ml
