#include "models/deploy_worker.h"

namespace mlops::models {

DeployWorker::DeployWorker() : thread_([this] { Loop(); }) {}

DeployWorker::~DeployWorker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void DeployWorker::Post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_all();
}

void DeployWorker::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return jobs_.empty() && !running_job_; });
}

void DeployWorker::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return !jobs_.empty() || stopping_; });
    if (jobs_.empty()) return;  // stopping, nothing left
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    running_job_ = true;
    lock.unlock();
    try {
      job();
    } catch (...) {
      // A job's failure is its own (it audits what it can); the worker goes on.
    }
    lock.lock();
    running_job_ = false;
    cv_.notify_all();
  }
}

}  // namespace mlops::models
