// RunWriteBacklog: run records the scheduler must write to the registry and
// could not yet, retried with backoff until they are committed. Nothing is
// dropped: a record waits here until a write succeeds (a newer record of the
// same run replaces the older one, since a run's row is written whole). A
// run's end is reported (`--wait`, metrics, the ended count) only once its
// record is committed; the scheduler hands that report to Flush as
// `on_end_committed`.
//
// While any write fails the backlog is "stalled": the scheduler holds back
// other registry writes until the backoff expires (so a busy registry costs
// the loop one blocked write per backoff, not one per run), the daemon logs
// the first failure and the recovery, and Stats() shows how many records
// wait and since when (metrics, /readyz). See docs/operations.md.
//
// Thread-safety: none; the scheduler's loop thread owns it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "mlops/common/clock.h"
#include "mlops/common/status.h"
#include "mlops/registry/store.h"

namespace mlops::scheduler {

struct RunWriteBacklogStats {
  int waiting = 0;              // run records not yet written
  int64_t stalled_since_ms = 0;  // wall time of the first failure of this streak; 0 when none
  uint64_t failed_writes = 0;   // every failed attempt, since start
  std::string last_error;       // of the streak; empty when none
};

class RunWriteBacklog {
 public:
  // Backoff after a failed write: doubles from `first` up to `max`.
  explicit RunWriteBacklog(std::chrono::milliseconds first = std::chrono::milliseconds(50),
                           std::chrono::milliseconds max = std::chrono::seconds(2))
      : first_(first), max_(max) {}

  // Writes `run` now unless the backlog is in backoff; on failure keeps it
  // for Flush. `is_end`: the record is the run's end; `on_end_committed`
  // runs once it is committed (now or in a later Flush). Returns whether it
  // was committed now.
  bool Write(registry::Store* store, Clock* clock, const registry::RunRecord& run, bool is_end,
             std::function<void()> on_end_committed = {});
  // Retries every waiting record once the backoff has expired (at once
  // with `ignore_backoff`, for a stop that cannot wait for the clock).
  void Flush(registry::Store* store, Clock* clock, bool ignore_backoff = false);
  // Logs an error line for each record still waiting (at exit).
  void LogWaiting() const;

  // Reports a failed write made elsewhere (attempt batches). A refusal
  // worth retrying (busy, locked) starts or extends the backoff and the
  // stall and returns true; any other failure is logged and returns false
  // (the caller fails what it was writing, with the reason).
  bool NoteFailure(const Status& s, const std::string& what, Clock* clock);
  // Reports a successful write made elsewhere: it ends a stall.
  void NoteSuccess(Clock* clock);

  // True while writes should wait (a failure happened and its backoff has
  // not expired).
  bool InBackoff(TimePoint now) const { return retry_at_.has_value() && now < *retry_at_; }
  // When the next retry is due, if anything waits or a backoff runs.
  std::optional<TimePoint> NextRetry() const;
  bool empty() const { return waiting_.empty(); }
  bool Has(int64_t run_id) const { return waiting_.count(run_id) != 0; }
  RunWriteBacklogStats Stats() const;

 private:
  struct Waiting {
    registry::RunRecord record;
    bool is_end = false;
    std::function<void()> on_end_committed;
  };
  bool TryWrite(registry::Store* store, Clock* clock, Waiting& w);
  void Stall(const Status& s, const std::string& what, Clock* clock);

  std::chrono::milliseconds first_, max_;
  std::map<int64_t, Waiting> waiting_;  // by run id
  std::optional<TimePoint> retry_at_;
  std::chrono::milliseconds backoff_{0};
  int64_t stalled_since_ms_ = 0;
  uint64_t failed_writes_ = 0;
  std::string last_error_;
};

}  // namespace mlops::scheduler
