// EventQueue: what wakes the scheduler loop, as a std::variant of events
// (ninja's shape). Producers push from any thread; the loop drains it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <variant>

#include "process/stage_runner.h"

namespace mlops::scheduler {

struct RunSubmitted { int64_t run_id; };
struct CancelRequested { int64_t run_id; };
struct AttemptFinished { AttemptOutcome outcome; };
using SchedulerEvent = std::variant<RunSubmitted, CancelRequested, AttemptFinished>;

class EventQueue {
 public:
  void Push(SchedulerEvent e) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(std::move(e));
    }
    cv_.notify_one();
  }
  // Wakes a waiter without an event (e.g. to stop).
  void Interrupt() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      interrupted_ = true;
    }
    cv_.notify_all();
  }
  // Takes every queued event; waits up to `max_wait` real time for the first.
  std::deque<SchedulerEvent> Drain(std::chrono::milliseconds max_wait) {
    std::unique_lock<std::mutex> lock(mu_);
    if (events_.empty() && !interrupted_ && max_wait.count() > 0) {
      cv_.wait_for(lock, max_wait, [&] { return !events_.empty() || interrupted_; });
    }
    interrupted_ = false;
    std::deque<SchedulerEvent> out;
    out.swap(events_);
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<SchedulerEvent> events_;
  bool interrupted_ = false;
};

}  // namespace mlops::scheduler
