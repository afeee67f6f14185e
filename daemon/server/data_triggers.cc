#include "server/data_triggers.h"

#include <spdlog/spdlog.h>

#include "mlops/common/files.h"
#include "triggers/data_versioner.h"

namespace mlops::server {

using nlohmann::json;

DataTriggers::DataTriggers(registry::Store* store, scheduler::Scheduler* scheduler, Clock* clock,
                           std::string state_dir, std::chrono::milliseconds interval)
    : store_(store),
      scheduler_(scheduler),
      clock_(clock),
      state_dir_(std::move(state_dir)),
      interval_(interval),
      watched_(&scheduler->pipeline_cache()) {}

DataTriggers::~DataTriggers() { Stop(); }

void DataTriggers::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void DataTriggers::Stop() {
  stop_.store(true);
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DataTriggers::Loop() {
  while (!stop_.load()) {
    Status s = ScanOnce();
    if (!s.ok()) spdlog::warn("data scan: {}", s.message());
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, interval_, [&] { return stop_.load(); });
  }
}

std::map<std::string, std::vector<int64_t>> DataTriggers::WatchedPaths() {
  std::vector<registry::PipelineRecord> pipelines;
  if (!store_->ListPipelines(&pipelines).ok()) return {};
  return watched_.Update(pipelines);
}

Status DataTriggers::ScanOnce() {
  std::lock_guard<std::mutex> lock(scan_mu_);
  scanning_thread_.store(std::this_thread::get_id());
  struct Done {
    std::atomic<std::thread::id>* owner;
    ~Done() { owner->store(std::thread::id{}); }
  } done{&scanning_thread_};
  auto watched = WatchedPaths();
  std::vector<std::string> paths;
  for (const auto& [path, ids] : watched) paths.push_back(path);
  if (paths.empty()) return Status::OK();
  if (!versioner_ || paths != versioner_paths_) {
    triggers::DataVersioner::Options o;
    o.paths = paths;
    o.state_file = JoinPath(state_dir_, "data-stat-cache");
    versioner_.reset();
    MLOPS_RETURN_IF_ERROR(triggers::DataVersioner::Open(o, &versioner_));
    versioner_paths_ = paths;
  }
  std::vector<triggers::DataScanResult> results;
  Status scan = versioner_->Scan(&results);
  for (const auto& r : results) {
    if (!r.status.ok()) {
      spdlog::warn("data path {}: {}", r.path, r.status.message());
      continue;
    }
    registry::DataVersionRecord dv;
    dv.path = r.path;
    dv.sha256 = r.sha256;
    dv.size = static_cast<int64_t>(r.size);
    dv.file_count = static_cast<int64_t>(r.files);
    bool is_new = false;
    Status s = store_->RecordDataVersion(&dv, &is_new);
    if (!s.ok()) {
      spdlog::error("data path {}: registry: {}", r.path, s.message());
      continue;
    }
    if (!is_new) continue;
    std::vector<registry::DataVersionRecord> versions;
    (void)store_->ListDataVersions(r.path, 2, &versions);
    if (versions.size() < 2) {
      spdlog::info("data path {}: first version {} ({}) recorded as the baseline", r.path, dv.id,
                   dv.sha256.substr(0, 12));
      continue;
    }
    for (int64_t pipeline_id : watched[r.path]) {
      scheduler::RunRequest req;
      req.pipeline_id = pipeline_id;
      req.trigger = "data";
      req.reason = "new data version " + std::to_string(dv.id) + " of " + r.path + " (" +
                   dv.sha256.substr(0, 12) + ")";
      int64_t run_id = 0;
      Status ss = scheduler_->Submit(req, &run_id);
      if (!ss.ok()) {
        spdlog::error("data path {}: cannot start a run: {}", r.path, ss.message());
        continue;
      }
      spdlog::info("data path {}: run {} for data version {}", r.path, run_id, dv.id);
    }
  }
  return scan;
}

void DataTriggers::LinkCurrentVersions(int64_t run_id, const std::vector<std::string>& data_paths) {
  bool scanned = false;
  for (const auto& path : data_paths) {
    if (path.empty() || path.front() != '/') continue;
    std::vector<registry::DataVersionRecord> current;
    if (!store_->ListDataVersions(path, 1, &current).ok()) continue;
    if (current.empty() && !scanned && scanning_thread_.load() != std::this_thread::get_id()) {
      // A path no scan has seen yet (its pipeline arrived after the last
      // scan, e.g. with the commit that started this run): record its
      // version now, so that the run's provenance names the data it read.
      scanned = true;
      Status s = ScanOnce();
      if (!s.ok()) spdlog::warn("data scan for run {}: {}", run_id, s.message());
      if (!store_->ListDataVersions(path, 1, &current).ok()) continue;
    }
    if (current.empty()) continue;
    Status s = store_->LinkRunDataVersion(run_id, current[0].id);
    if (!s.ok()) spdlog::warn("run {}: cannot link data version {}: {}", run_id, current[0].id, s.message());
  }
}

namespace {
json ToJson(const registry::DataVersionRecord& d) {
  return {{"id", d.id}, {"path", d.path}, {"sha256", d.sha256}, {"size", d.size},
          {"files", d.file_count}, {"first_seen_ms", d.first_seen_ms},
          {"superseded_by", d.superseded_by}, {"current", d.superseded_by == 0}};
}
}  // namespace

Status DataTriggers::ListJson(json* out) {
  std::vector<registry::DataVersionRecord> list;
  MLOPS_RETURN_IF_ERROR(store_->ListDataVersions("", 200, &list));
  *out = json::array();
  for (const auto& d : list) out->push_back(ToJson(d));
  return Status::OK();
}

Status DataTriggers::ShowJson(int64_t id, json* out) {
  registry::DataVersionRecord d;
  MLOPS_RETURN_IF_ERROR(store_->GetDataVersion(id, &d));
  *out = ToJson(d);
  std::vector<registry::RunRecord> runs;
  MLOPS_RETURN_IF_ERROR(store_->ListDataVersionRuns(id, &runs));
  (*out)["runs"] = json::array();
  for (const auto& r : runs) {
    (*out)["runs"].push_back({{"id", r.id}, {"pipeline", r.pipeline_name},
                              {"status", registry::ToString(r.status)}, {"commit", r.commit},
                              {"trigger", r.trigger}});
  }
  return Status::OK();
}

}  // namespace mlops::server
