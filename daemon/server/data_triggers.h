// DataTriggers: watches the absolute data paths that pipelines name in
// `on.data`, records each new content digest as a data version in the
// registry, and starts a run of every pipeline watching a path whose
// content changed (the first version ever seen of a path is the baseline
// and starts nothing). Every run, whatever started it, is linked to the
// current versions of its pipeline's data paths (LinkCurrentVersions), so
// lineage reaches from a data version to its runs and, through their
// artifacts, to the models.
// Thread-safety: public methods may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlops/common/clock.h"
#include "mlops/registry/store.h"
#include "scheduler/scheduler.h"
#include "server/watched_data_paths.h"

namespace mlops::triggers {
class DataVersioner;
}  // namespace mlops::triggers

namespace mlops::server {

class DataTriggers {
 public:
  // REQUIRES: pointers outlive this object.
  DataTriggers(registry::Store* store, scheduler::Scheduler* scheduler, Clock* clock,
               std::string state_dir, std::chrono::milliseconds interval);
  ~DataTriggers();

  void Start();
  void Stop();
  // Scans now (the loop also scans every interval). Returns after the scan.
  Status ScanOnce();

  // Links a new run to the current data version of each absolute path in
  // its pipeline's `on.data`, so lineage and provenance reach them. A path
  // no scan has recorded yet is scanned first (unless this thread is the
  // one scanning, which records it itself).
  void LinkCurrentVersions(int64_t run_id, const std::vector<std::string>& data_paths);

  Status ListJson(nlohmann::json* out);
  Status ShowJson(int64_t id, nlohmann::json* out);

 private:
  void Loop();
  // path -> ids of the pipelines (newest definitions) whose on.data names
  // it. Called under scan_mu_.
  std::map<std::string, std::vector<int64_t>> WatchedPaths();

  registry::Store* store_;
  scheduler::Scheduler* scheduler_;
  Clock* clock_;
  std::string state_dir_;
  std::chrono::milliseconds interval_;
  std::mutex scan_mu_;  // one scan at a time
  // The thread inside ScanOnce: a run that scan starts is linked on that
  // thread, which must not scan again.
  std::atomic<std::thread::id> scanning_thread_{};
  std::unique_ptr<triggers::DataVersioner> versioner_;  // protected by scan_mu_
  std::vector<std::string> versioner_paths_;            // protected by scan_mu_
  WatchedDataPaths watched_;                            // protected by scan_mu_
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace mlops::server
