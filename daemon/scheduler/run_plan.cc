#include "scheduler/run_plan.h"

#include <unordered_map>

namespace mlops::scheduler {

const char* ToString(StagePhase p) {
  switch (p) {
    case StagePhase::kWaiting: return "waiting";
    case StagePhase::kReady: return "ready";
    case StagePhase::kRunning: return "running";
    case StagePhase::kBackoff: return "backoff";
    case StagePhase::kSucceeded: return "succeeded";
    case StagePhase::kFailed: return "failed";
    case StagePhase::kSkipped: return "skipped";
    case StagePhase::kCancelled: return "cancelled";
  }
  return "?";
}

RunPlan::RunPlan(const pipeline::Pipeline& pipeline) : pipeline_(pipeline) {
  const int n = static_cast<int>(pipeline.stages.size());
  states_.resize(n);
  needs_.resize(n);
  dependents_.resize(n);
  unmet_.assign(n, 0);
  std::unordered_map<std::string, int> index;
  for (int i = 0; i < n; ++i) index[pipeline.stages[i].name] = i;
  for (int i = 0; i < n; ++i) {
    for (const auto& dep : pipeline.stages[i].needs) {
      auto it = index.find(dep);
      if (it == index.end()) continue;  // rejected by validation
      needs_[i].push_back(it->second);
      dependents_[it->second].push_back(i);
    }
    unmet_[i] = static_cast<int>(needs_[i].size());
    if (unmet_[i] == 0) states_[i].phase = StagePhase::kReady;
  }
}

std::vector<int> RunPlan::Ready(TimePoint now) {
  std::vector<int> out;
  if (halted_) return out;
  for (int i = 0; i < size(); ++i) {
    StageState& s = states_[i];
    if (s.phase == StagePhase::kBackoff && s.retry_at <= now) s.phase = StagePhase::kReady;
    if (s.phase == StagePhase::kReady) out.push_back(i);
  }
  return out;
}

std::optional<TimePoint> RunPlan::NextRetry() const {
  std::optional<TimePoint> next;
  if (halted_) return next;
  for (const auto& s : states_) {
    if (s.phase == StagePhase::kBackoff && (!next || s.retry_at < *next)) next = s.retry_at;
  }
  return next;
}

void RunPlan::MarkRunning(int stage) {
  states_[stage].phase = StagePhase::kRunning;
  states_[stage].attempts++;
}

void RunPlan::MarkSucceeded(int stage) {
  states_[stage].phase = StagePhase::kSucceeded;
  for (int d : dependents_[stage]) {
    if (--unmet_[d] == 0 && states_[d].phase == StagePhase::kWaiting) {
      states_[d].phase = StagePhase::kReady;
    }
  }
}

bool RunPlan::MarkFailed(int stage, TimePoint retry_at) {
  StageState& s = states_[stage];
  const int allowed = 1 + pipeline_.stages[stage].retries;
  if (s.attempts < allowed && !halted_) {
    s.phase = StagePhase::kBackoff;
    s.retry_at = retry_at;
    return true;
  }
  s.phase = StagePhase::kFailed;
  halted_ = true;
  SkipAllPending();
  return false;
}

void RunPlan::MarkCancelled(int stage) { states_[stage].phase = StagePhase::kCancelled; }

void RunPlan::SkipAllPending() {
  for (auto& s : states_) {
    if (s.phase == StagePhase::kWaiting || s.phase == StagePhase::kReady ||
        s.phase == StagePhase::kBackoff) {
      s.phase = StagePhase::kSkipped;
    }
  }
}

bool RunPlan::Finished() const {
  for (const auto& s : states_) {
    switch (s.phase) {
      case StagePhase::kWaiting:
      case StagePhase::kReady:
      case StagePhase::kRunning:
      case StagePhase::kBackoff:
        return false;
      default:
        break;
    }
  }
  return true;
}

bool RunPlan::AnyFailed() const {
  for (const auto& s : states_) if (s.phase == StagePhase::kFailed) return true;
  return false;
}

bool RunPlan::AnyCancelled() const {
  for (const auto& s : states_) if (s.phase == StagePhase::kCancelled) return true;
  return false;
}

int RunPlan::RunningCount() const {
  int n = 0;
  for (const auto& s : states_) n += s.phase == StagePhase::kRunning;
  return n;
}

}  // namespace mlops::scheduler
