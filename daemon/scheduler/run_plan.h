// RunPlan: which stages of one run are waiting, ready, running, backing off
// after a failure, or done. Pure bookkeeping (ninja's Plan): it starts
// nothing and reads no clock; the scheduler tells it what happened.
// Thread-safety: not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mlops/common/clock.h"
#include "mlops/registry/records.h"
#include "pipeline/pipeline.h"

namespace mlops::scheduler {

enum class StagePhase {
  kWaiting,    // some `needs` not yet succeeded
  kReady,      // may start when resources allow
  kRunning,
  kBackoff,    // failed, will retry at retry_at
  kSucceeded,
  kFailed,
  kSkipped,    // never started: an upstream stage failed or the run ended
  kCancelled,
};
const char* ToString(StagePhase p);

struct StageState {
  StagePhase phase = StagePhase::kWaiting;
  int attempts = 0;          // attempts started so far
  TimePoint retry_at{};      // valid in kBackoff
  std::string cache_key;     // of the last attempt (upstream keys feed downstream)
  std::vector<std::pair<std::string, registry::ArtifactRecord>> outputs;  // once succeeded
};

class RunPlan {
 public:
  // REQUIRES: `pipeline` is valid (no unknown needs, no cycle) and outlives the plan.
  explicit RunPlan(const pipeline::Pipeline& pipeline);

  // Indices of stages in kReady, in pipeline order; backoffs due at `now`
  // become ready first.
  std::vector<int> Ready(TimePoint now);
  // Earliest retry time among stages in backoff, if any.
  std::optional<TimePoint> NextRetry() const;

  void MarkRunning(int stage);
  void MarkSucceeded(int stage);
  // A failed attempt: backs off until `retry_at` while retries remain,
  // otherwise the stage fails and every stage not yet started is skipped
  // (running ones finish). Returns true when a retry is planned.
  bool MarkFailed(int stage, TimePoint retry_at);
  void MarkCancelled(int stage);
  // Cancel: every stage not running and not finished becomes kSkipped.
  void SkipAllPending();

  bool Finished() const;       // nothing running, nothing left to start
  bool AnyFailed() const;
  bool AnyCancelled() const;
  int RunningCount() const;

  const StageState& state(int stage) const { return states_[stage]; }
  StageState& mutable_state(int stage) { return states_[stage]; }
  const std::vector<int>& needs(int stage) const { return needs_[stage]; }
  const pipeline::Pipeline& pipeline() const { return pipeline_; }
  int size() const { return static_cast<int>(states_.size()); }

 private:
  const pipeline::Pipeline& pipeline_;
  std::vector<StageState> states_;
  std::vector<std::vector<int>> needs_;       // stage -> its dependencies
  std::vector<std::vector<int>> dependents_;  // stage -> stages that need it
  std::vector<int> unmet_;                    // count of needs not yet succeeded
  bool halted_ = false;                       // a stage failed for good
};

}  // namespace mlops::scheduler
