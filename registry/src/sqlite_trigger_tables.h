// The SQLite store's trigger tables (migration 2): repositories, commits,
// data versions and webhook deliveries. Each function is one Store method
// with its contract (store.h), run on `db` in its own transaction.
// Internal to the registry library.
// REQUIRES for every function: the caller serialises use of `db`
// (SqliteStore holds its mutex).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlops/common/status.h"
#include "mlops/registry/records.h"
#include "sqlite_db.h"

namespace mlops::registry::internal {

Status UpsertRepository(SqliteDb* db, RepositoryRecord* rec);
Status GetRepository(SqliteDb* db, const std::string& name, RepositoryRecord* out);
Status ListRepositories(SqliteDb* db, std::vector<RepositoryRecord>* out);
Status UpdateRepositoryState(SqliteDb* db, const RepositoryRecord& rec);

Status RecordCommit(SqliteDb* db, CommitRecord* rec, bool* inserted);
Status UpdateCommit(SqliteDb* db, const CommitRecord& rec);
Status GetCommit(SqliteDb* db, int64_t id, CommitRecord* out);
Status ListCommits(SqliteDb* db, const CommitFilter& filter, std::vector<CommitRecord>* out);

Status RecordDataVersion(SqliteDb* db, DataVersionRecord* rec, bool* is_new);
Status GetDataVersion(SqliteDb* db, int64_t id, DataVersionRecord* out);
Status ListDataVersions(SqliteDb* db, const std::string& path, int limit,
                        std::vector<DataVersionRecord>* out);
Status LinkRunDataVersion(SqliteDb* db, int64_t run_id, int64_t data_version_id);
Status ListRunDataVersions(SqliteDb* db, int64_t run_id, std::vector<DataVersionRecord>* out);
Status ListDataVersionRuns(SqliteDb* db, int64_t data_version_id, std::vector<RunRecord>* out);

Status RecordDelivery(SqliteDb* db, const WebhookDeliveryRecord& rec);
Status SetDeliveryResult(SqliteDb* db, const std::string& source, const std::string& delivery_id,
                         const std::string& result);
Status PruneDeliveries(SqliteDb* db, int64_t before_ms, int64_t* removed);

}  // namespace mlops::registry::internal
