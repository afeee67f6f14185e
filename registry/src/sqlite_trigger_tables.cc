#include "sqlite_trigger_tables.h"

#include "sqlite_rows.h"
#include "store_rules.h"
#include "trigger_rules.h"

namespace mlops::registry::internal {
namespace {

constexpr const char* kRepositoryCols =
    "SELECT id, name, url, branches, pipeline_path, last_commit, last_error, "
    "consecutive_failures, last_attempt_ms, last_success_ms, next_poll_ms, created_ms "
    "FROM repositories ";
constexpr const char* kCommitCols =
    "SELECT c.id, c.repository_id, r.name, c.sha, c.branch, c.origin, c.seen_ms, c.status, "
    "c.superseded_by, c.reason FROM commits c JOIN repositories r ON r.id = c.repository_id ";
constexpr const char* kDataVersionCols =
    "SELECT id, path, sha256, size, file_count, first_seen_ms, superseded_by FROM data_versions ";

std::string JoinLines(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : "\n") + s;
  return out;
}

std::vector<std::string> SplitLines(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

void ReadRepository(const Stmt& s, RepositoryRecord* r) {
  r->id = s.Int64(0);
  r->name = s.Text(1);
  r->url = s.Text(2);
  r->branches = SplitLines(s.Text(3));
  r->pipeline_path = s.Text(4);
  r->last_commit = s.Text(5);
  r->last_error = s.Text(6);
  r->consecutive_failures = s.Int(7);
  r->last_attempt_ms = s.Int64(8);
  r->last_success_ms = s.Int64(9);
  r->next_poll_ms = s.Int64(10);
  r->created_ms = s.Int64(11);
}

Status ReadCommit(const Stmt& s, CommitRecord* c) {
  c->id = s.Int64(0);
  c->repository_id = s.Int64(1);
  c->repository = s.Text(2);
  c->sha = s.Text(3);
  c->branch = s.Text(4);
  c->origin = s.Text(5);
  c->seen_ms = s.Int64(6);
  if (!ParseCommitStatus(s.Text(7), &c->status)) {
    return Status::Corruption("commit " + std::to_string(c->id) + ": unknown status '" +
                              s.Text(7) + "'");
  }
  c->superseded_by = s.Text(8);
  c->reason = s.Text(9);
  return Status::OK();
}

void ReadDataVersion(const Stmt& s, DataVersionRecord* d) {
  d->id = s.Int64(0);
  d->path = s.Text(1);
  d->sha256 = s.Text(2);
  d->size = s.Int64(3);
  d->file_count = s.Int64(4);
  d->first_seen_ms = s.Int64(5);
  d->superseded_by = s.IsNull(6) ? 0 : s.Int64(6);
}

Status Exists(SqliteDb* db, const char* sql, int64_t id, const std::string& what) {
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db->Prepare(sql, &s));
  s.Bind(1, id);
  bool row = false;
  MLOPS_RETURN_IF_ERROR(s.Step(&row));
  return row ? Status::OK() : Status::NotFound(what + " " + std::to_string(id) + " not found");
}

Status RepositoryByName(SqliteDb* db, const std::string& name, RepositoryRecord* out) {
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db->Prepare(Sql(kRepositoryCols, "WHERE name = ?1"), &s));
  s.Bind(1, name);
  return One(&s, out, ReadRepository, "repository '" + name + "'");
}

Status RunIdsOfCommit(SqliteDb* db, CommitRecord* c) {
  c->run_ids.clear();
  Stmt s;
  MLOPS_RETURN_IF_ERROR(
      db->Prepare("SELECT run_id FROM commit_runs WHERE commit_id = ?1 ORDER BY run_id", &s));
  s.Bind(1, c->id);
  return Collect(&s, &c->run_ids, [](const Stmt& s, int64_t* id) { *id = s.Int64(0); });
}

}  // namespace

Status UpsertRepository(SqliteDb* db, RepositoryRecord* rec) {
  MLOPS_RETURN_IF_ERROR(CheckRepository(*rec));
  Txn txn(db, Txn::Mode::kWrite);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  RepositoryRecord existing;
  Status found = RepositoryByName(db, rec->name, &existing);
  if (!found.ok() && !found.IsNotFound()) return found;
  Stmt s;
  if (found.ok()) {
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "UPDATE repositories SET url = ?1, branches = ?2, pipeline_path = ?3 WHERE id = ?4", &s));
    s.Bind(1, rec->url);
    s.Bind(2, JoinLines(rec->branches));
    s.Bind(3, rec->pipeline_path);
    s.Bind(4, existing.id);
  } else {
    if (rec->created_ms == 0) rec->created_ms = WallMillisNow();
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "INSERT INTO repositories (name, url, branches, pipeline_path, last_commit, last_error, "
        "consecutive_failures, last_attempt_ms, last_success_ms, next_poll_ms, created_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        &s));
    s.Bind(1, rec->name);
    s.Bind(2, rec->url);
    s.Bind(3, JoinLines(rec->branches));
    s.Bind(4, rec->pipeline_path);
    s.Bind(5, rec->last_commit);
    s.Bind(6, rec->last_error);
    s.Bind(7, rec->consecutive_failures);
    s.Bind(8, rec->last_attempt_ms);
    s.Bind(9, rec->last_success_ms);
    s.Bind(10, rec->next_poll_ms);
    s.Bind(11, rec->created_ms);
  }
  MLOPS_RETURN_IF_ERROR(s.Run());
  MLOPS_RETURN_IF_ERROR(RepositoryByName(db, rec->name, rec));
  return txn.Commit();
}

Status GetRepository(SqliteDb* db, const std::string& name, RepositoryRecord* out) {
  return RepositoryByName(db, name, out);
}

Status ListRepositories(SqliteDb* db, std::vector<RepositoryRecord>* out) {
  out->clear();
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db->Prepare(Sql(kRepositoryCols, "ORDER BY name"), &s));
  return Collect(&s, out, ReadRepository);
}

Status UpdateRepositoryState(SqliteDb* db, const RepositoryRecord& rec) {
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db->Prepare(
      "UPDATE repositories SET last_commit = ?1, last_error = ?2, consecutive_failures = ?3, "
      "last_attempt_ms = ?4, last_success_ms = ?5, next_poll_ms = ?6 WHERE name = ?7",
      &s));
  s.Bind(1, rec.last_commit);
  s.Bind(2, rec.last_error);
  s.Bind(3, rec.consecutive_failures);
  s.Bind(4, rec.last_attempt_ms);
  s.Bind(5, rec.last_success_ms);
  s.Bind(6, rec.next_poll_ms);
  s.Bind(7, rec.name);
  MLOPS_RETURN_IF_ERROR(s.Run());
  if (db->Changes() == 0) return Status::NotFound("repository '" + rec.name + "' not found");
  return Status::OK();
}

Status RecordCommit(SqliteDb* db, CommitRecord* rec, bool* inserted) {
  *inserted = false;
  MLOPS_RETURN_IF_ERROR(CheckNewCommit(*rec));
  Txn txn(db, Txn::Mode::kWrite);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  RepositoryRecord repo;
  MLOPS_RETURN_IF_ERROR(RepositoryByName(db, rec->repository, &repo));
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        Sql(kCommitCols, "WHERE c.repository_id = ?1 AND c.branch = ?2 AND c.sha = ?3"), &s));
    s.Bind(1, repo.id);
    s.Bind(2, rec->branch);
    s.Bind(3, rec->sha);
    CommitRecord existing;
    Status st = One(&s, &existing, ReadCommit, "commit");
    if (st.ok()) {
      MLOPS_RETURN_IF_ERROR(RunIdsOfCommit(db, &existing));
      *rec = std::move(existing);
      return txn.Commit();
    }
    if (!st.IsNotFound()) return st;
  }
  if (rec->seen_ms == 0) rec->seen_ms = WallMillisNow();
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db->Prepare(
      "INSERT INTO commits (repository_id, sha, branch, origin, seen_ms, status, superseded_by, "
      "reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
      &s));
  s.Bind(1, repo.id);
  s.Bind(2, rec->sha);
  s.Bind(3, rec->branch);
  s.Bind(4, rec->origin);
  s.Bind(5, rec->seen_ms);
  s.Bind(6, ToString(rec->status));
  s.Bind(7, rec->superseded_by);
  s.Bind(8, rec->reason);
  MLOPS_RETURN_IF_ERROR(s.Run());
  rec->id = db->LastInsertId();
  rec->repository_id = repo.id;
  rec->run_ids.clear();
  *inserted = true;
  return txn.Commit();
}

Status UpdateCommit(SqliteDb* db, const CommitRecord& rec) {
  Txn txn(db, Txn::Mode::kWrite);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "UPDATE commits SET status = ?1, superseded_by = ?2, reason = ?3 WHERE id = ?4", &s));
    s.Bind(1, ToString(rec.status));
    s.Bind(2, rec.superseded_by);
    s.Bind(3, rec.reason);
    s.Bind(4, rec.id);
    MLOPS_RETURN_IF_ERROR(s.Run());
    if (db->Changes() == 0) return Status::NotFound("commit " + std::to_string(rec.id) + " not found");
  }
  for (int64_t run_id : rec.run_ids) {
    MLOPS_RETURN_IF_ERROR(Exists(db, "SELECT 1 FROM runs WHERE id = ?1", run_id, "run"));
    Stmt s;
    MLOPS_RETURN_IF_ERROR(
        db->Prepare("INSERT OR IGNORE INTO commit_runs (commit_id, run_id) VALUES (?1, ?2)", &s));
    s.Bind(1, rec.id);
    s.Bind(2, run_id);
    MLOPS_RETURN_IF_ERROR(s.Run());
  }
  return txn.Commit();
}

Status GetCommit(SqliteDb* db, int64_t id, CommitRecord* out) {
  Txn txn(db, Txn::Mode::kRead);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db->Prepare(Sql(kCommitCols, "WHERE c.id = ?1"), &s));
  s.Bind(1, id);
  MLOPS_RETURN_IF_ERROR(One(&s, out, ReadCommit, "commit " + std::to_string(id)));
  MLOPS_RETURN_IF_ERROR(RunIdsOfCommit(db, out));
  return txn.Commit();
}

Status ListCommits(SqliteDb* db, const CommitFilter& filter, std::vector<CommitRecord>* out) {
  out->clear();
  // The text varies only with which filters are present; values are bound.
  std::string sql = Sql(kCommitCols, "WHERE 1");
  int n = 0;
  if (!filter.repository.empty()) sql += " AND r.name = ?" + std::to_string(++n);
  if (!filter.branch.empty()) sql += " AND c.branch = ?" + std::to_string(++n);
  if (!filter.status.empty()) {
    sql += " AND c.status IN (";
    for (size_t i = 0; i < filter.status.size(); ++i) sql += (i ? ", ?" : "?") + std::to_string(++n);
    sql += ")";
  }
  if (filter.run_id > 0) {
    sql += " AND c.id IN (SELECT commit_id FROM commit_runs WHERE run_id = ?" +
           std::to_string(++n) + ")";
  }
  sql += " ORDER BY c.id DESC LIMIT ?" + std::to_string(++n);
  Txn txn(db, Txn::Mode::kRead);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(sql, &s));
    int i = 0;
    if (!filter.repository.empty()) s.Bind(++i, filter.repository);
    if (!filter.branch.empty()) s.Bind(++i, filter.branch);
    for (CommitStatus st : filter.status) s.Bind(++i, ToString(st));
    if (filter.run_id > 0) s.Bind(++i, filter.run_id);
    s.Bind(++i, filter.limit > 0 ? filter.limit : -1);
    MLOPS_RETURN_IF_ERROR(Collect(&s, out, ReadCommit));
  }
  for (CommitRecord& c : *out) MLOPS_RETURN_IF_ERROR(RunIdsOfCommit(db, &c));
  return txn.Commit();
}

Status RecordDataVersion(SqliteDb* db, DataVersionRecord* rec, bool* is_new) {
  *is_new = false;
  MLOPS_RETURN_IF_ERROR(CheckDataVersion(*rec));
  Txn txn(db, Txn::Mode::kWrite);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  DataVersionRecord current;
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        Sql(kDataVersionCols, "WHERE path = ?1 AND superseded_by IS NULL ORDER BY id DESC LIMIT 1"),
        &s));
    s.Bind(1, rec->path);
    Status st = One(&s, &current, ReadDataVersion, "data version");
    if (!st.ok() && !st.IsNotFound()) return st;
  }
  if (current.id != 0 && current.sha256 == rec->sha256) {
    *rec = current;
    return txn.Commit();
  }
  if (rec->first_seen_ms == 0) rec->first_seen_ms = WallMillisNow();
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "INSERT INTO data_versions (path, sha256, size, file_count, first_seen_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5)",
        &s));
    s.Bind(1, rec->path);
    s.Bind(2, rec->sha256);
    s.Bind(3, rec->size);
    s.Bind(4, rec->file_count);
    s.Bind(5, rec->first_seen_ms);
    MLOPS_RETURN_IF_ERROR(s.Run());
    rec->id = db->LastInsertId();
    rec->superseded_by = 0;
  }
  if (current.id != 0) {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(
        db->Prepare("UPDATE data_versions SET superseded_by = ?1 WHERE id = ?2", &s));
    s.Bind(1, rec->id);
    s.Bind(2, current.id);
    MLOPS_RETURN_IF_ERROR(s.Run());
  }
  *is_new = true;
  return txn.Commit();
}

Status GetDataVersion(SqliteDb* db, int64_t id, DataVersionRecord* out) {
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db->Prepare(Sql(kDataVersionCols, "WHERE id = ?1"), &s));
  s.Bind(1, id);
  return One(&s, out, ReadDataVersion, "data version " + std::to_string(id));
}

Status ListDataVersions(SqliteDb* db, const std::string& path, int limit,
                        std::vector<DataVersionRecord>* out) {
  out->clear();
  Stmt s;
  if (path.empty()) {
    MLOPS_RETURN_IF_ERROR(db->Prepare(Sql(kDataVersionCols, "ORDER BY id DESC LIMIT ?1"), &s));
    s.Bind(1, limit > 0 ? limit : -1);
  } else {
    MLOPS_RETURN_IF_ERROR(
        db->Prepare(Sql(kDataVersionCols, "WHERE path = ?1 ORDER BY id DESC LIMIT ?2"), &s));
    s.Bind(1, path);
    s.Bind(2, limit > 0 ? limit : -1);
  }
  return Collect(&s, out, ReadDataVersion);
}

Status LinkRunDataVersion(SqliteDb* db, int64_t run_id, int64_t data_version_id) {
  Txn txn(db, Txn::Mode::kWrite);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  MLOPS_RETURN_IF_ERROR(Exists(db, "SELECT 1 FROM runs WHERE id = ?1", run_id, "run"));
  MLOPS_RETURN_IF_ERROR(Exists(db, "SELECT 1 FROM data_versions WHERE id = ?1", data_version_id,
                               "data version"));
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db->Prepare(
      "INSERT OR IGNORE INTO run_data_versions (run_id, data_version_id) VALUES (?1, ?2)", &s));
  s.Bind(1, run_id);
  s.Bind(2, data_version_id);
  MLOPS_RETURN_IF_ERROR(s.Run());
  return txn.Commit();
}

Status ListRunDataVersions(SqliteDb* db, int64_t run_id, std::vector<DataVersionRecord>* out) {
  out->clear();
  Txn txn(db, Txn::Mode::kRead);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  MLOPS_RETURN_IF_ERROR(Exists(db, "SELECT 1 FROM runs WHERE id = ?1", run_id, "run"));
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db->Prepare(
      Sql(kDataVersionCols,
          "WHERE id IN (SELECT data_version_id FROM run_data_versions WHERE run_id = ?1) "
          "ORDER BY id"),
      &s));
  s.Bind(1, run_id);
  MLOPS_RETURN_IF_ERROR(Collect(&s, out, ReadDataVersion));
  return txn.Commit();
}

Status ListDataVersionRuns(SqliteDb* db, int64_t data_version_id, std::vector<RunRecord>* out) {
  out->clear();
  Txn txn(db, Txn::Mode::kRead);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  MLOPS_RETURN_IF_ERROR(Exists(db, "SELECT 1 FROM data_versions WHERE id = ?1", data_version_id,
                               "data version"));
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db->Prepare(
      Sql(kRunCols,
          "WHERE r.id IN (SELECT run_id FROM run_data_versions WHERE data_version_id = ?1) "
          "ORDER BY r.id"),
      &s));
  s.Bind(1, data_version_id);
  MLOPS_RETURN_IF_ERROR(Collect(&s, out, ReadRun));
  return txn.Commit();
}

Status RecordDelivery(SqliteDb* db, const WebhookDeliveryRecord& rec) {
  MLOPS_RETURN_IF_ERROR(CheckDelivery(rec));
  Txn txn(db, Txn::Mode::kWrite);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "SELECT received_ms FROM webhook_deliveries WHERE source = ?1 AND delivery_id = ?2", &s));
    s.Bind(1, rec.source);
    s.Bind(2, rec.delivery_id);
    bool row = false;
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    if (row) return ReplayedDelivery(rec, s.Int64(0));
  }
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db->Prepare(
      "INSERT INTO webhook_deliveries (source, delivery_id, received_ms, result) "
      "VALUES (?1, ?2, ?3, ?4)",
      &s));
  s.Bind(1, rec.source);
  s.Bind(2, rec.delivery_id);
  s.Bind(3, rec.received_ms != 0 ? rec.received_ms : WallMillisNow());
  s.Bind(4, rec.result);
  MLOPS_RETURN_IF_ERROR(s.Run());
  return txn.Commit();
}

Status SetDeliveryResult(SqliteDb* db, const std::string& source, const std::string& delivery_id,
                         const std::string& result) {
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db->Prepare(
      "UPDATE webhook_deliveries SET result = ?1 WHERE source = ?2 AND delivery_id = ?3", &s));
  s.Bind(1, result);
  s.Bind(2, source);
  s.Bind(3, delivery_id);
  MLOPS_RETURN_IF_ERROR(s.Run());
  if (db->Changes() == 0) {
    return Status::NotFound("webhook delivery " + source + "/" + delivery_id + " not found");
  }
  return Status::OK();
}

Status PruneDeliveries(SqliteDb* db, int64_t before_ms, int64_t* removed) {
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db->Prepare("DELETE FROM webhook_deliveries WHERE received_ms < ?1", &s));
  s.Bind(1, before_ms);
  MLOPS_RETURN_IF_ERROR(s.Run());
  *removed = db->Changes();
  return Status::OK();
}

}  // namespace mlops::registry::internal
