// The MemoryStore's trigger tables: repositories, commits, data versions and
// webhook deliveries in ordinary containers, with the SQLite store's
// semantics (store.h). Internal to the registry library.
// Thread-safety: none; MemoryStore calls it under its mutex. Methods that
// check runs take the store's runs, by id.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mlops/common/status.h"
#include "mlops/registry/records.h"

namespace mlops::registry::internal {

class MemoryTriggerTables {
 public:
  using Runs = std::map<int64_t, RunRecord>;

  Status UpsertRepository(RepositoryRecord* rec);
  Status GetRepository(const std::string& name, RepositoryRecord* out) const;
  Status ListRepositories(std::vector<RepositoryRecord>* out) const;
  Status UpdateRepositoryState(const RepositoryRecord& rec);

  Status RecordCommit(CommitRecord* rec, bool* inserted);
  Status UpdateCommit(const CommitRecord& rec, const Runs& runs);
  Status GetCommit(int64_t id, CommitRecord* out) const;
  Status ListCommits(const CommitFilter& filter, std::vector<CommitRecord>* out) const;

  Status RecordDataVersion(DataVersionRecord* rec, bool* is_new);
  Status GetDataVersion(int64_t id, DataVersionRecord* out) const;
  Status ListDataVersions(const std::string& path, int limit,
                          std::vector<DataVersionRecord>* out) const;
  Status LinkRunDataVersion(int64_t run_id, int64_t data_version_id, const Runs& runs);
  Status ListRunDataVersions(int64_t run_id, const Runs& runs,
                             std::vector<DataVersionRecord>* out) const;
  Status ListDataVersionRuns(int64_t data_version_id, const Runs& runs,
                             std::vector<RunRecord>* out) const;

  Status RecordDelivery(const WebhookDeliveryRecord& rec);
  Status SetDeliveryResult(const std::string& source, const std::string& delivery_id,
                           const std::string& result);
  Status PruneDeliveries(int64_t before_ms, int64_t* removed);

 private:
  CommitRecord WithRuns(const CommitRecord& c) const;

  int64_t next_id_ = 1;
  std::map<std::string, RepositoryRecord> repositories_;  // by name
  std::map<int64_t, CommitRecord> commits_;               // run_ids kept in commit_runs_
  std::set<std::pair<int64_t, int64_t>> commit_runs_;     // (commit, run)
  std::map<int64_t, DataVersionRecord> data_versions_;
  std::set<std::pair<int64_t, int64_t>> run_data_versions_;  // (run, data version)
  std::map<std::pair<std::string, std::string>, WebhookDeliveryRecord> deliveries_;
};

}  // namespace mlops::registry::internal
