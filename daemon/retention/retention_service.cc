#include "retention/retention_service.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

namespace mlops::retention {

RetentionService::RetentionService(Collector* collector, ArtifactCollector* artifacts,
                                   std::chrono::milliseconds interval,
                                   std::chrono::milliseconds settle)
    : collector_(collector), artifacts_(artifacts), interval_(interval), settle_(settle) {}

RetentionService::~RetentionService() { Stop(); }

void RetentionService::Start() {
  thread_ = std::thread([this] {
    // Named so that its CPU time shows apart (top -H, /proc/PID/task).
    ::pthread_setname_np(::pthread_self(), "mlopsd-retain");
    Loop();
  });
}

void RetentionService::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RetentionService::OnRunEnded(int64_t run_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_.empty()) first_ended_ = std::chrono::steady_clock::now();
    ended_.push_back(run_id);
  }
  cv_.notify_all();
}

Status RetentionService::Collect(bool dry_run, bool with_artifacts, CollectReport* out) {
  std::lock_guard<std::mutex> lock(collect_mu_);
  collector_->Rescan();
  *out = collector_->Collect(dry_run);
  if (with_artifacts) MLOPS_RETURN_IF_ERROR(artifacts_->Collect(dry_run, out));
  if (!dry_run) Log("on request", *out);
  return Status::OK();
}

void RetentionService::Log(const char* why, const CollectReport& r, bool routine) {
  for (const std::string& e : r.errors) spdlog::warn("retention: {}", e);
  if (r.removals.empty()) return;
  // After runs end this happens about once a second on a busy daemon.
  const auto level = routine ? spdlog::level::debug : spdlog::level::info;
  spdlog::log(level, "retention ({}): removed {} entries, {} bytes", why, r.removals.size(), r.bytes);
}

void RetentionService::Loop() {
  using Clock = std::chrono::steady_clock;
  auto next_scan = Clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    const auto now = Clock::now();
    if (now >= next_scan) {
      lock.unlock();
      {
        std::lock_guard<std::mutex> c(collect_mu_);
        collector_->Rescan();
        Log("periodic", collector_->Collect(false));
      }
      lock.lock();
      next_scan = Clock::now() + interval_;
      continue;
    }
    if (!ended_.empty() && now >= first_ended_ + settle_) {
      std::vector<int64_t> ids;
      ids.swap(ended_);
      lock.unlock();
      {
        std::lock_guard<std::mutex> c(collect_mu_);
        for (int64_t id : ids) collector_->NoteRunEnded(id);
        Log("runs ended", collector_->Collect(false), /*routine=*/true);
      }
      lock.lock();
      continue;
    }
    auto wake = next_scan;
    if (!ended_.empty()) wake = std::min(wake, first_ended_ + settle_);
    cv_.wait_until(lock, wake);
  }
}

}  // namespace mlops::retention
