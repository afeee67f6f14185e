// TriggerCoalescer: turns bursts of "branch B of repository R is now at
// commit C" reports into as few triggers as keep up, always for the newest
// commit.
//
// A burst of a (repository, branch) starts with the first report while
// nothing is pending for it and lasts `window`, measured from that first
// report (not the last, so a steady stream of pushes still triggers once per
// window instead of never); with a window of 0 the first report is due at
// once. While the run of an earlier trigger of the same (repository,
// branch) is still queued (Hold() until Release()), the burst is held: it
// becomes due only once that run has left the queue, however long that
// takes, so the reports that arrive meanwhile become one trigger. Every
// report inside the burst replaces the pending commit; the replaced one is
// returned to the caller as superseded. A due commit is handed out by
// TakeDue(). A pending commit leaves only by being replaced by a newer
// report or by TakeDue()/TakeAll(): the last commit of a burst is never
// dropped.
//
// "Newest" means reported last; the coalescer knows nothing of git history.
// It also does not remember commits it has handed out: a commit reported
// again after it was taken starts a new burst, so the caller deduplicates
// against what it recorded (the registry's commits).
//
// Time comes from the injected Clock; nothing here sleeps or starts a
// thread. The owner waits until NextDue() (or until a new report arrives)
// and then calls TakeDue().
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mlops/common/clock.h"

namespace mlops::triggers {

struct PendingTrigger {
  std::string repository;
  std::string branch;
  std::string commit;                   // the newest commit reported in the burst
  std::string origin;                   // who reported it ("poll", "gitlab", ...)
  std::vector<std::string> superseded;  // commits it replaced, oldest first
  int reports = 0;                      // reports in the burst, repeats included
  TimePoint first_report{};
  TimePoint due{};                      // first_report + window
};

class TriggerCoalescer {
 public:
  // REQUIRES: clock outlives the coalescer; window >= 0 (0: due at once).
  TriggerCoalescer(Clock* clock, Duration window);
  TriggerCoalescer(const TriggerCoalescer&) = delete;
  TriggerCoalescer& operator=(const TriggerCoalescer&) = delete;

  // Records that `branch` of `repository` is at `commit`. Returns the
  // commit this report superseded: the one pending before, when it differs.
  // Empty when nothing was pending or when the same commit was already
  // pending (a repeated report is counted but supersedes nothing).
  std::string Report(const std::string& repository, const std::string& branch,
                     const std::string& commit, const std::string& origin);

  // A run for `branch` of `repository` is queued: its next burst is held
  // until Release(). Holding a held key again changes nothing.
  void Hold(const std::string& repository, const std::string& branch);
  // That run has left the queue (started or ended): a held burst becomes
  // due (at once, if its window has passed).
  void Release(const std::string& repository, const std::string& branch);
  bool held(const std::string& repository, const std::string& branch) const;

  // When the earliest pending trigger that is not held becomes due; nullopt
  // when there is none.
  std::optional<TimePoint> NextDue() const;

  // Removes and returns every pending trigger whose window has passed
  // (due <= now) and that is not held, ordered by due time.
  std::vector<PendingTrigger> TakeDue();

  // Removes and returns every pending trigger, due, held or not, ordered by
  // due time (for a shutdown that hands pending work to the registry).
  std::vector<PendingTrigger> TakeAll();

  size_t pending() const;

 private:
  using Key = std::pair<std::string, std::string>;  // (repository, branch)
  std::vector<PendingTrigger> TakeIf(bool only_due);

  Clock* const clock_;
  const Duration window_;
  mutable std::mutex mu_;
  std::map<Key, PendingTrigger> pending_;  // protected by mu_
  std::set<Key> held_;                     // protected by mu_
};

}  // namespace mlops::triggers
