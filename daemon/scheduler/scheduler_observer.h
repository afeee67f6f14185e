// SchedulerObserver: what the scheduler reports as it works, for metrics.
// Called on the scheduler's loop thread, but for the end of a run that
// Submit finds up to date, reported on Submit's caller's thread before
// Submit returns; implementations must be thread-safe and must not block.
#pragma once

#include <string>

namespace mlops::scheduler {

class SchedulerObserver {
 public:
  virtual ~SchedulerObserver() = default;
  // A run was asked for (Submit's caller's thread): `trigger` is the run's
  // trigger ("manual", "git", "data", "drift", "recovery").
  // Observers that count only ends may leave it out.
  virtual void RunSubmitted(const std::string& pipeline, const std::string& trigger) {
    (void)pipeline;
    (void)trigger;
  }
  // A run reached a final state ("succeeded", "failed", "cancelled") or
  // "interrupted"; `seconds` from queued to finished.
  virtual void RunFinished(const std::string& pipeline, const std::string& status,
                           double seconds) = 0;
  // A stage attempt ended; status as in the registry ("succeeded",
  // "failed", "timed_out", "cancelled", "cached"); `seconds` it ran.
  virtual void AttemptFinished(const std::string& pipeline, const std::string& plugin,
                               const std::string& status, double seconds) = 0;
};

}  // namespace mlops::scheduler
