// DeployWorker: one thread that runs jobs (deploy hooks) one after another,
// in the order they were posted, so that a promotion made on the
// scheduler's thread (policy `production: on_gates`) does not hold the
// scheduler for as long as a hook runs (up to deploy_timeout).
// Thread-safety: Post and Drain from any thread. The destructor runs what
// is still queued (each hook is bounded by its time-out), then joins.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace mlops::models {

class DeployWorker {
 public:
  DeployWorker();
  ~DeployWorker();
  DeployWorker(const DeployWorker&) = delete;
  DeployWorker& operator=(const DeployWorker&) = delete;

  void Post(std::function<void()> job);
  // Returns once every job posted before the call has run.
  void Drain();

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;  // guarded by mu_
  bool running_job_ = false;                // guarded by mu_
  bool stopping_ = false;                   // guarded by mu_
  std::thread thread_;                      // last: starts after the rest exists
};

}  // namespace mlops::models
