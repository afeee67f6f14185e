#include "scheduler/run_write_backlog.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace mlops::scheduler {

bool RunWriteBacklog::Write(registry::Store* store, Clock* clock, const registry::RunRecord& run,
                            bool is_end, std::function<void()> on_end_committed) {
  Waiting& w = waiting_[run.id];
  // A newer record replaces a waiting one; a waiting end is never replaced
  // by a record that is not an end (the row is written whole).
  if (w.is_end && !is_end) return false;
  w.record = run;
  w.is_end = is_end;
  w.on_end_committed = std::move(on_end_committed);
  if (InBackoff(clock->Now())) return false;
  const int64_t id = run.id;
  if (!TryWrite(store, clock, w)) return false;
  Waiting done = std::move(waiting_[id]);
  waiting_.erase(id);
  NoteSuccess(clock);
  if (done.on_end_committed) done.on_end_committed();
  return true;
}

void RunWriteBacklog::Flush(registry::Store* store, Clock* clock, bool ignore_backoff) {
  if (waiting_.empty() || (!ignore_backoff && InBackoff(clock->Now()))) return;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (!TryWrite(store, clock, it->second)) return;  // backoff again; keep the rest
    Waiting done = std::move(it->second);
    it = waiting_.erase(it);
    NoteSuccess(clock);
    if (done.on_end_committed) done.on_end_committed();
  }
}

bool RunWriteBacklog::TryWrite(registry::Store* store, Clock* clock, Waiting& w) {
  Status s = store->UpdateRun(w.record);
  if (s.IsNotFound()) {
    // The row is gone (deleted under the daemon): nothing to write to; the
    // end is still reported, so nobody waits forever.
    spdlog::error("registry: run {} has no row to record its {} state in: {}", w.record.id,
                  registry::ToString(w.record.status), s.message());
    return true;
  }
  if (!s.ok()) {
    // Whatever the reason, the record is kept: a run's state has no other
    // way into the registry.
    Stall(s, "run " + std::to_string(w.record.id) + " (" + registry::ToString(w.record.status) + ")",
          clock);
    return false;
  }
  return true;
}

bool RunWriteBacklog::NoteFailure(const Status& s, const std::string& what, Clock* clock) {
  if (!s.IsUnavailable()) {
    ++failed_writes_;
    spdlog::error("registry write failed: {}: {}", what, s.message());
    return false;
  }
  Stall(s, what, clock);
  return true;
}

void RunWriteBacklog::Stall(const Status& s, const std::string& what, Clock* clock) {
  ++failed_writes_;
  backoff_ = backoff_.count() == 0 ? first_ : std::min(backoff_ * 2, max_);
  retry_at_ = clock->Now() + backoff_;
  last_error_ = what + ": " + s.message();
  if (stalled_since_ms_ == 0) {
    stalled_since_ms_ = clock->WallMillis();
    spdlog::warn("registry write failed, retrying (nothing is reported ended until it is "
                 "recorded): {}",
                 last_error_);
  }
}

void RunWriteBacklog::NoteSuccess(Clock* clock) {
  retry_at_.reset();
  backoff_ = std::chrono::milliseconds(0);
  if (stalled_since_ms_ != 0 && waiting_.empty()) {
    spdlog::info("registry writes recovered after {} ms ({} failed attempts since start)",
                 clock->WallMillis() - stalled_since_ms_, failed_writes_);
    stalled_since_ms_ = 0;
    last_error_.clear();
  }
}

void RunWriteBacklog::LogWaiting() const {
  for (const auto& [id, w] : waiting_) {
    spdlog::error("registry: run {} could not be recorded as {} ({}); the next start finds it "
                  "unfinished and settles it",
                  id, registry::ToString(w.record.status), last_error_);
  }
}

std::optional<TimePoint> RunWriteBacklog::NextRetry() const {
  if (retry_at_) return retry_at_;
  return std::nullopt;
}

RunWriteBacklogStats RunWriteBacklog::Stats() const {
  RunWriteBacklogStats s;
  s.waiting = static_cast<int>(waiting_.size());
  s.stalled_since_ms = stalled_since_ms_;
  s.failed_writes = failed_writes_;
  s.last_error = last_error_;
  return s;
}

}  // namespace mlops::scheduler
