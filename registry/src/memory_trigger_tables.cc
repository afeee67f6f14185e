#include "memory_trigger_tables.h"

#include <algorithm>

#include "store_rules.h"
#include "trigger_rules.h"

namespace mlops::registry::internal {
namespace {

Status NotFound(const std::string& what, int64_t id) {
  return Status::NotFound(what + " " + std::to_string(id) + " not found");
}

}  // namespace

Status MemoryTriggerTables::UpsertRepository(RepositoryRecord* rec) {
  MLOPS_RETURN_IF_ERROR(CheckRepository(*rec));
  auto it = repositories_.find(rec->name);
  if (it != repositories_.end()) {
    it->second.url = rec->url;
    it->second.branches = rec->branches;
    it->second.pipeline_path = rec->pipeline_path;
  } else {
    if (rec->created_ms == 0) rec->created_ms = WallMillisNow();
    rec->id = next_id_++;
    it = repositories_.emplace(rec->name, *rec).first;
  }
  *rec = it->second;
  return Status::OK();
}

Status MemoryTriggerTables::GetRepository(const std::string& name, RepositoryRecord* out) const {
  auto it = repositories_.find(name);
  if (it == repositories_.end()) return Status::NotFound("repository '" + name + "' not found");
  *out = it->second;
  return Status::OK();
}

Status MemoryTriggerTables::ListRepositories(std::vector<RepositoryRecord>* out) const {
  out->clear();
  for (const auto& [name, r] : repositories_) out->push_back(r);
  return Status::OK();
}

Status MemoryTriggerTables::UpdateRepositoryState(const RepositoryRecord& rec) {
  auto it = repositories_.find(rec.name);
  if (it == repositories_.end()) return Status::NotFound("repository '" + rec.name + "' not found");
  RepositoryRecord& r = it->second;
  r.last_commit = rec.last_commit;
  r.last_error = rec.last_error;
  r.consecutive_failures = rec.consecutive_failures;
  r.last_attempt_ms = rec.last_attempt_ms;
  r.last_success_ms = rec.last_success_ms;
  r.next_poll_ms = rec.next_poll_ms;
  return Status::OK();
}

CommitRecord MemoryTriggerTables::WithRuns(const CommitRecord& c) const {
  CommitRecord out = c;
  out.run_ids.clear();
  for (auto it = commit_runs_.lower_bound({c.id, 0}); it != commit_runs_.end() && it->first == c.id;
       ++it) {
    out.run_ids.push_back(it->second);
  }
  return out;
}

Status MemoryTriggerTables::RecordCommit(CommitRecord* rec, bool* inserted) {
  *inserted = false;
  MLOPS_RETURN_IF_ERROR(CheckNewCommit(*rec));
  auto repo = repositories_.find(rec->repository);
  if (repo == repositories_.end()) {
    return Status::NotFound("repository '" + rec->repository + "' not found");
  }
  for (const auto& [id, c] : commits_) {
    if (c.repository_id == repo->second.id && c.branch == rec->branch && c.sha == rec->sha) {
      *rec = WithRuns(c);
      return Status::OK();
    }
  }
  if (rec->seen_ms == 0) rec->seen_ms = WallMillisNow();
  rec->id = next_id_++;
  rec->repository_id = repo->second.id;
  rec->run_ids.clear();
  commits_[rec->id] = *rec;
  *inserted = true;
  return Status::OK();
}

Status MemoryTriggerTables::UpdateCommit(const CommitRecord& rec, const Runs& runs) {
  auto it = commits_.find(rec.id);
  if (it == commits_.end()) return NotFound("commit", rec.id);
  for (int64_t run_id : rec.run_ids) {
    if (runs.count(run_id) == 0) return NotFound("run", run_id);
  }
  it->second.status = rec.status;
  it->second.superseded_by = rec.superseded_by;
  it->second.reason = rec.reason;
  for (int64_t run_id : rec.run_ids) commit_runs_.emplace(rec.id, run_id);
  return Status::OK();
}

Status MemoryTriggerTables::GetCommit(int64_t id, CommitRecord* out) const {
  auto it = commits_.find(id);
  if (it == commits_.end()) return NotFound("commit", id);
  *out = WithRuns(it->second);
  return Status::OK();
}

Status MemoryTriggerTables::ListCommits(const CommitFilter& filter,
                                        std::vector<CommitRecord>* out) const {
  out->clear();
  for (auto it = commits_.rbegin(); it != commits_.rend(); ++it) {
    if (filter.limit > 0 && out->size() >= static_cast<size_t>(filter.limit)) break;
    const CommitRecord& c = it->second;
    if (!filter.repository.empty() && c.repository != filter.repository) continue;
    if (!filter.branch.empty() && c.branch != filter.branch) continue;
    if (!filter.status.empty() &&
        std::find(filter.status.begin(), filter.status.end(), c.status) == filter.status.end()) {
      continue;
    }
    if (filter.run_id > 0 && commit_runs_.count({c.id, filter.run_id}) == 0) continue;
    out->push_back(WithRuns(c));
  }
  return Status::OK();
}

Status MemoryTriggerTables::RecordDataVersion(DataVersionRecord* rec, bool* is_new) {
  *is_new = false;
  MLOPS_RETURN_IF_ERROR(CheckDataVersion(*rec));
  DataVersionRecord* current = nullptr;
  for (auto& [id, d] : data_versions_) {
    if (d.path == rec->path && d.superseded_by == 0) current = &d;
  }
  if (current != nullptr && current->sha256 == rec->sha256) {
    *rec = *current;
    return Status::OK();
  }
  if (rec->first_seen_ms == 0) rec->first_seen_ms = WallMillisNow();
  rec->id = next_id_++;
  rec->superseded_by = 0;
  if (current != nullptr) current->superseded_by = rec->id;
  data_versions_[rec->id] = *rec;
  *is_new = true;
  return Status::OK();
}

Status MemoryTriggerTables::GetDataVersion(int64_t id, DataVersionRecord* out) const {
  auto it = data_versions_.find(id);
  if (it == data_versions_.end()) return NotFound("data version", id);
  *out = it->second;
  return Status::OK();
}

Status MemoryTriggerTables::ListDataVersions(const std::string& path, int limit,
                                             std::vector<DataVersionRecord>* out) const {
  out->clear();
  for (auto it = data_versions_.rbegin(); it != data_versions_.rend(); ++it) {
    if (limit > 0 && out->size() >= static_cast<size_t>(limit)) break;
    if (path.empty() || it->second.path == path) out->push_back(it->second);
  }
  return Status::OK();
}

Status MemoryTriggerTables::LinkRunDataVersion(int64_t run_id, int64_t data_version_id,
                                               const Runs& runs) {
  if (runs.count(run_id) == 0) return NotFound("run", run_id);
  if (data_versions_.count(data_version_id) == 0) return NotFound("data version", data_version_id);
  run_data_versions_.emplace(run_id, data_version_id);
  return Status::OK();
}

Status MemoryTriggerTables::ListRunDataVersions(int64_t run_id, const Runs& runs,
                                                std::vector<DataVersionRecord>* out) const {
  out->clear();
  if (runs.count(run_id) == 0) return NotFound("run", run_id);
  for (auto it = run_data_versions_.lower_bound({run_id, 0});
       it != run_data_versions_.end() && it->first == run_id; ++it) {
    out->push_back(data_versions_.at(it->second));
  }
  return Status::OK();
}

Status MemoryTriggerTables::ListDataVersionRuns(int64_t data_version_id, const Runs& runs,
                                                std::vector<RunRecord>* out) const {
  out->clear();
  if (data_versions_.count(data_version_id) == 0) return NotFound("data version", data_version_id);
  for (const auto& [run_id, dv_id] : run_data_versions_) {
    if (dv_id == data_version_id) out->push_back(runs.at(run_id));
  }
  return Status::OK();
}

Status MemoryTriggerTables::RecordDelivery(const WebhookDeliveryRecord& rec) {
  MLOPS_RETURN_IF_ERROR(CheckDelivery(rec));
  auto key = std::make_pair(rec.source, rec.delivery_id);
  auto it = deliveries_.find(key);
  if (it != deliveries_.end()) return ReplayedDelivery(rec, it->second.received_ms);
  WebhookDeliveryRecord stored = rec;
  if (stored.received_ms == 0) stored.received_ms = WallMillisNow();
  deliveries_.emplace(std::move(key), std::move(stored));
  return Status::OK();
}

Status MemoryTriggerTables::SetDeliveryResult(const std::string& source,
                                              const std::string& delivery_id,
                                              const std::string& result) {
  auto it = deliveries_.find({source, delivery_id});
  if (it == deliveries_.end()) {
    return Status::NotFound("webhook delivery " + source + "/" + delivery_id + " not found");
  }
  it->second.result = result;
  return Status::OK();
}

Status MemoryTriggerTables::PruneDeliveries(int64_t before_ms, int64_t* removed) {
  *removed = static_cast<int64_t>(std::erase_if(
      deliveries_, [&](const auto& kv) { return kv.second.received_ms < before_ms; }));
  return Status::OK();
}

}  // namespace mlops::registry::internal
