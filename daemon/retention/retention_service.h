// RetentionService: runs the collectors inside the daemon. One thread lists
// every folder and collects every `interval` (the first time at Start), and
// collects after runs end: OnRunEnded only queues the run id; the thread
// takes every id queued within `settle` of the first, indexes those runs'
// folders (Collector::NoteRunEnded, no listing) and collects once. Collect
// serves `mlctl gc` (API threads): a fresh listing, then the limits, and the
// content store when asked.
// Thread-safety: OnRunEnded and Collect are safe from any thread; Start and
// Stop belong to the daemon's start and stop path.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "retention/artifact_collector.h"
#include "retention/collector.h"

namespace mlops::retention {

class RetentionService {
 public:
  // REQUIRES: both collectors outlive the service.
  RetentionService(Collector* collector, ArtifactCollector* artifacts,
                   std::chrono::milliseconds interval,
                   std::chrono::milliseconds settle = std::chrono::seconds(1));
  ~RetentionService();

  void Start();
  void Stop();  // waits for a collection in progress
  void OnRunEnded(int64_t run_id);
  Status Collect(bool dry_run, bool with_artifacts, CollectReport* out);

 private:
  void Loop();
  // Errors as warnings; removals at info, or at debug when `routine`.
  void Log(const char* why, const CollectReport& r, bool routine = false);

  Collector* collector_;
  ArtifactCollector* artifacts_;
  const std::chrono::milliseconds interval_, settle_;
  std::mutex collect_mu_;  // one collection at a time
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                       // protected by mu_
  std::vector<int64_t> ended_;              // protected by mu_
  std::chrono::steady_clock::time_point first_ended_;  // protected by mu_
  std::thread thread_;
};

}  // namespace mlops::retention
