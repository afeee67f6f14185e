#include "sqlite_schema.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "mlops/registry/store.h"

namespace mlops::registry {
namespace internal {
namespace {

struct Migration {
  int version;
  const char* sql;
};

// Append-only: a released migration is never edited; a schema change is a
// new entry with the next version. Repositories, commits, data versions and
// models get their own tables in later migrations; runs.commit_id and the
// artifacts' digests are what those will reference.
constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE pipelines (
  id                INTEGER PRIMARY KEY,
  name              TEXT NOT NULL,
  definition_sha256 TEXT NOT NULL,
  definition        TEXT NOT NULL,
  source_dir        TEXT NOT NULL,
  created_ms        INTEGER NOT NULL,
  -- Raised on every upsert: a name's current definition is the one
  -- registered last, even when an older definition comes back.
  registered_seq    INTEGER NOT NULL,
  UNIQUE (name, definition_sha256)
);
CREATE INDEX pipelines_by_name ON pipelines (name, registered_seq);

CREATE TABLE runs (
  id             INTEGER PRIMARY KEY,
  pipeline_id    INTEGER NOT NULL REFERENCES pipelines (id),
  triggered_by   TEXT NOT NULL,
  reason         TEXT NOT NULL,
  commit_id      TEXT NOT NULL,
  force          INTEGER NOT NULL,
  status         TEXT NOT NULL,
  error          TEXT NOT NULL,
  queued_ms      INTEGER NOT NULL,
  started_ms     INTEGER NOT NULL,
  finished_ms    INTEGER NOT NULL,
  recovery_count INTEGER NOT NULL
);
CREATE INDEX runs_by_pipeline ON runs (pipeline_id, id);
CREATE INDEX runs_by_status ON runs (status, id);

CREATE TABLE stage_attempts (
  id             INTEGER PRIMARY KEY,
  run_id         INTEGER NOT NULL REFERENCES runs (id),
  stage          TEXT NOT NULL,
  attempt        INTEGER NOT NULL,
  plugin_name    TEXT NOT NULL,
  plugin_version TEXT NOT NULL,
  plugin_sha256  TEXT NOT NULL,
  params_json    TEXT NOT NULL,
  cache_key      TEXT NOT NULL,
  status         TEXT NOT NULL,
  exit_code      INTEGER NOT NULL,
  signal         INTEGER NOT NULL,
  cache_hit      INTEGER NOT NULL,
  reason         TEXT NOT NULL,
  error          TEXT NOT NULL,
  log_path       TEXT NOT NULL,
  host           TEXT NOT NULL,
  started_ms     INTEGER NOT NULL,
  finished_ms    INTEGER NOT NULL
);
CREATE INDEX attempts_by_run ON stage_attempts (run_id, id);
CREATE INDEX attempts_cache_hits ON stage_attempts (cache_key, id)
  WHERE status = 'succeeded' AND cache_hit = 0;
CREATE INDEX attempts_running ON stage_attempts (id) WHERE status = 'running';

CREATE TABLE params (
  attempt_id INTEGER NOT NULL REFERENCES stage_attempts (id),
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  PRIMARY KEY (attempt_id, key)
) WITHOUT ROWID;

CREATE TABLE metrics (
  id         INTEGER PRIMARY KEY,
  attempt_id INTEGER NOT NULL REFERENCES stage_attempts (id),
  key        TEXT NOT NULL,
  value      REAL,  -- NULL stands for NaN, which SQLite cannot store
  step       INTEGER NOT NULL,
  time_ms    INTEGER NOT NULL
);
CREATE INDEX metrics_by_attempt ON metrics (attempt_id, id);

CREATE TABLE artifacts (
  sha256     TEXT PRIMARY KEY,
  size       INTEGER NOT NULL,
  media_type TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE INDEX artifacts_by_created ON artifacts (created_ms);

CREATE TABLE artifact_edges (
  attempt_id      INTEGER NOT NULL REFERENCES stage_attempts (id),
  artifact_sha256 TEXT NOT NULL REFERENCES artifacts (sha256),
  kind            TEXT NOT NULL CHECK (kind IN ('consumed', 'produced')),
  name            TEXT NOT NULL,
  PRIMARY KEY (attempt_id, kind, name, artifact_sha256)
) WITHOUT ROWID;
CREATE INDEX edges_by_artifact ON artifact_edges (artifact_sha256, kind, attempt_id);
)sql"},
    // 2: triggers. Watched repositories and the commits seen on them (with
    // the runs each started), content versions of watched data paths (with
    // the runs made from each: lineage from a model back to its data), and
    // webhook deliveries, so that a replay starts nothing after a restart.
    {2, R"sql(
CREATE TABLE repositories (
  id                   INTEGER PRIMARY KEY,
  name                 TEXT NOT NULL UNIQUE,
  url                  TEXT NOT NULL,
  branches             TEXT NOT NULL,  -- one per line
  pipeline_path        TEXT NOT NULL,
  last_commit          TEXT NOT NULL,
  last_error           TEXT NOT NULL,
  consecutive_failures INTEGER NOT NULL,
  last_attempt_ms      INTEGER NOT NULL,
  last_success_ms      INTEGER NOT NULL,
  next_poll_ms         INTEGER NOT NULL,
  created_ms           INTEGER NOT NULL
);

CREATE TABLE commits (
  id            INTEGER PRIMARY KEY,
  repository_id INTEGER NOT NULL REFERENCES repositories (id),
  sha           TEXT NOT NULL,
  branch        TEXT NOT NULL,
  origin        TEXT NOT NULL,
  seen_ms       INTEGER NOT NULL,
  status        TEXT NOT NULL
                CHECK (status IN ('pending', 'triggered', 'superseded', 'ignored')),
  superseded_by TEXT NOT NULL,
  reason        TEXT NOT NULL,
  UNIQUE (repository_id, branch, sha)
);
CREATE INDEX commits_by_status ON commits (status, id);

CREATE TABLE commit_runs (
  commit_id INTEGER NOT NULL REFERENCES commits (id),
  run_id    INTEGER NOT NULL REFERENCES runs (id),
  PRIMARY KEY (commit_id, run_id)
) WITHOUT ROWID;
CREATE INDEX commit_runs_by_run ON commit_runs (run_id, commit_id);

CREATE TABLE data_versions (
  id            INTEGER PRIMARY KEY,
  path          TEXT NOT NULL,
  sha256        TEXT NOT NULL,
  size          INTEGER NOT NULL,
  file_count    INTEGER NOT NULL,
  first_seen_ms INTEGER NOT NULL,
  superseded_by INTEGER REFERENCES data_versions (id)  -- NULL while current
);
CREATE INDEX data_versions_by_path ON data_versions (path, id);
CREATE INDEX data_versions_by_digest ON data_versions (sha256);

CREATE TABLE run_data_versions (
  run_id          INTEGER NOT NULL REFERENCES runs (id),
  data_version_id INTEGER NOT NULL REFERENCES data_versions (id),
  PRIMARY KEY (run_id, data_version_id)
) WITHOUT ROWID;
CREATE INDEX run_data_versions_by_version ON run_data_versions (data_version_id, run_id);

CREATE TABLE webhook_deliveries (
  id          INTEGER PRIMARY KEY,
  source      TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  result      TEXT NOT NULL,
  UNIQUE (source, delivery_id)
);
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (received_ms);
)sql"},
    // 3: the run-level up-to-date check: what decided a succeeded run's
    // results, and for a run found up to date, the run whose results stand.
    {3, R"sql(
ALTER TABLE runs ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN results_run_id INTEGER REFERENCES runs (id);
)sql"},
    // 4: the model registry (docs/models.md): trusted keys, recorded signatures,
    // models and their versions (at most one in production per model, by a
    // partial unique index), aliases, approvals, the ids of promotion
    // requests already handled (replays are refused) and the audit log,
    // which triggers make append-only.
    {4, R"sql(
CREATE TABLE trusted_keys (
  key_id         TEXT PRIMARY KEY,
  public_key_pem TEXT NOT NULL,
  name           TEXT NOT NULL,
  added_ms       INTEGER NOT NULL,
  added_by       TEXT NOT NULL,
  revoked_ms     INTEGER,  -- NULL while trusted
  revoked_by     TEXT
) WITHOUT ROWID;

CREATE TABLE signatures (
  envelope_sha256 TEXT PRIMARY KEY,
  artifact_sha256 TEXT NOT NULL,
  key_id          TEXT NOT NULL,
  run_id          INTEGER NOT NULL,
  created_ms      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX signatures_by_artifact ON signatures (artifact_sha256);

CREATE TABLE models (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  pipeline   TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);

CREATE TABLE model_versions (
  id              INTEGER PRIMARY KEY,
  model_id        INTEGER NOT NULL REFERENCES models (id),
  version         INTEGER NOT NULL CHECK (version > 0),
  artifact_sha256 TEXT NOT NULL,
  envelope_sha256 TEXT NOT NULL,  -- '' when the run signed nothing
  run_id          INTEGER NOT NULL,
  stage           TEXT NOT NULL
                  CHECK (stage IN ('none', 'staging', 'production', 'archived')),
  gates_passed    INTEGER NOT NULL,
  metrics_json    TEXT NOT NULL,
  provenance_json TEXT NOT NULL,
  created_ms      INTEGER NOT NULL,
  UNIQUE (model_id, version)
);
CREATE UNIQUE INDEX model_versions_one_production ON model_versions (model_id)
  WHERE stage = 'production';

CREATE TABLE model_aliases (
  model_id INTEGER NOT NULL REFERENCES models (id),
  alias    TEXT NOT NULL,
  version  INTEGER NOT NULL,
  set_ms   INTEGER NOT NULL,
  set_by   TEXT NOT NULL,
  PRIMARY KEY (model_id, alias)
) WITHOUT ROWID;

CREATE TABLE approvals (
  id           INTEGER PRIMARY KEY,
  model_id     INTEGER NOT NULL REFERENCES models (id),
  version      INTEGER NOT NULL,
  to_stage     TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  requested_ms INTEGER NOT NULL,
  approved_by  TEXT NOT NULL DEFAULT '',
  approved_ms  INTEGER NOT NULL DEFAULT 0,
  state        TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'used'))
);
CREATE INDEX approvals_by_version ON approvals (model_id, version, to_stage, id);

CREATE TABLE promotion_requests (
  request_id TEXT PRIMARY KEY,
  model_id   INTEGER NOT NULL REFERENCES models (id),
  version    INTEGER NOT NULL,
  at_ms      INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE audit_log (
  id          INTEGER PRIMARY KEY,
  at_ms       INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  model       TEXT NOT NULL,
  version     INTEGER NOT NULL,  -- 0 when the entry is not about a version
  from_stage  TEXT NOT NULL,
  to_stage    TEXT NOT NULL,
  reason      TEXT NOT NULL,
  detail_json TEXT NOT NULL
);
CREATE INDEX audit_by_model ON audit_log (model, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql"},
    // 5: API bearer tokens. Only a token's SHA-256 is kept; a revoked token
    // keeps its row (and name) so that the log's names stay unambiguous.
    {5, R"sql(
CREATE TABLE api_tokens (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  role         TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  token_sha256 TEXT NOT NULL UNIQUE,
  created_ms   INTEGER NOT NULL,
  created_by   TEXT NOT NULL,
  revoked_ms   INTEGER,  -- NULL while live
  last_used_ms INTEGER
);
)sql"},
    // Tokens of role `predictor` (mlops-serve only). SQLite cannot change a
    // CHECK constraint in place: the table is rebuilt with the same rows.
    {6, R"sql(
CREATE TABLE api_tokens_v6 (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  role         TEXT NOT NULL CHECK (role IN ('predictor', 'viewer', 'operator', 'admin')),
  token_sha256 TEXT NOT NULL UNIQUE,
  created_ms   INTEGER NOT NULL,
  created_by   TEXT NOT NULL,
  revoked_ms   INTEGER,  -- NULL while live
  last_used_ms INTEGER
);
INSERT INTO api_tokens_v6 (id, name, role, token_sha256, created_ms, created_by, revoked_ms,
                           last_used_ms)
  SELECT id, name, role, token_sha256, created_ms, created_by, revoked_ms, last_used_ms
  FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_v6 RENAME TO api_tokens;
)sql"},
    // 7: canaries (docs/serving.md): at most one per model; the version
    // holds the `canary` alias, which changes with this row in one
    // transaction.
    {7, R"sql(
CREATE TABLE canaries (
  model_id      INTEGER PRIMARY KEY REFERENCES models (id),
  version       INTEGER NOT NULL CHECK (version > 0),
  share_percent INTEGER NOT NULL CHECK (share_percent BETWEEN 0 AND 100),
  state         TEXT NOT NULL CHECK (state IN ('running', 'ready')),
  started_ms    INTEGER NOT NULL,
  updated_ms    INTEGER NOT NULL,
  policy_json   TEXT NOT NULL
);
)sql"},
};

constexpr bool InVersionOrder() {
  int last = 0;
  for (const Migration& m : kMigrations) {
    if (m.version <= last) return false;
    last = m.version;
  }
  return true;
}
static_assert(InVersionOrder(), "kMigrations must be in strictly increasing version order");

Status ReadUserVersion(SqliteDb* db, int* version) {
  std::string value;
  Status st = db->QueryPragma("PRAGMA user_version", &value);
  if (st.IsCorruption()) return Status::Corruption("registry " + db->path() + ": " + st.message());
  if (!st.ok()) return st;
  *version = static_cast<int>(std::strtol(value.c_str(), nullptr, 10));
  return Status::OK();
}

Status RefuseIfNewer(const SqliteDb& db, int version) {
  if (version <= SchemaVersion()) return Status::OK();
  return Status::InvalidArgument("registry " + db.path() + ": registry schema version " +
                                 std::to_string(version) + " is newer than this mlopsd supports (" +
                                 std::to_string(SchemaVersion()) + "); upgrade mlopsd");
}

Status Migrate(SqliteDb* db) {
  Txn txn(db, Txn::Mode::kWrite);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  // Read again under the write lock: another process may have migrated.
  int version = 0;
  MLOPS_RETURN_IF_ERROR(ReadUserVersion(db, &version));
  MLOPS_RETURN_IF_ERROR(RefuseIfNewer(*db, version));
  for (const Migration& m : kMigrations) {
    if (m.version <= version) continue;
    Status st = db->Exec(m.sql);
    if (!st.ok()) {
      return Status::Corruption("registry " + db->path() + ": migration " +
                                std::to_string(m.version) + " failed: " + st.message());
    }
    std::string set_version = "PRAGMA user_version = " + std::to_string(m.version);
    MLOPS_RETURN_IF_ERROR(db->Exec(set_version.c_str()));
  }
  return txn.Commit();
}

}  // namespace

Status OpenRegistryDb(const std::string& path, std::unique_ptr<SqliteDb>* out) {
  std::unique_ptr<SqliteDb> db;
  MLOPS_RETURN_IF_ERROR(SqliteDb::Open(path, &db));
  // Check the version before anything writes to the file, closing without
  // a checkpoint if it is refused.
  db->SetCheckpointOnClose(false);
  int version = 0;
  MLOPS_RETURN_IF_ERROR(ReadUserVersion(db.get(), &version));
  MLOPS_RETURN_IF_ERROR(RefuseIfNewer(*db, version));
  db->SetCheckpointOnClose(true);

  std::string mode;
  MLOPS_RETURN_IF_ERROR(db->QueryPragma("PRAGMA journal_mode = WAL", &mode));
  if (mode != "wal") {
    return Status::IOError("registry " + path + ": cannot enable WAL (journal_mode is " + mode +
                           ")");
  }
  // In WAL mode NORMAL loses no committed transaction when the process dies
  // (only on power loss), and saves an fsync per commit.
  MLOPS_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = NORMAL"));
  MLOPS_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys = ON"));
  MLOPS_RETURN_IF_ERROR(Migrate(db.get()));
  *out = std::move(db);
  return Status::OK();
}

Status OpenRegistryDbReadOnly(const std::string& path, std::unique_ptr<SqliteDb>* out) {
  std::unique_ptr<SqliteDb> db;
  MLOPS_RETURN_IF_ERROR(SqliteDb::OpenReadOnly(path, &db));
  int version = 0;
  Status st = ReadUserVersion(db.get(), &version);
  if (st.IsIOError() && st.message().find("unable to open") != std::string::npos) {
    return Status::Unavailable("registry " + path + ": " + st.message() +
                               " (a WAL registry read-only needs its -wal and -shm files, which "
                               "mlopsd keeps while it runs, or a folder it may create them in)");
  }
  MLOPS_RETURN_IF_ERROR(st);
  if (version != SchemaVersion()) {
    return Status::InvalidArgument(
        "registry " + path + ": registry schema version " + std::to_string(version) +
        (version > SchemaVersion() ? " is newer than this build knows (" : " is older than this "
                                     "build's (") +
        std::to_string(SchemaVersion()) +
        (version > SchemaVersion() ? "); upgrade mlops-serve" : "); start mlopsd to migrate it"));
  }
  MLOPS_RETURN_IF_ERROR(db->Exec("PRAGMA query_only = 1"));
  *out = std::move(db);
  return Status::OK();
}

}  // namespace internal

Status CheckSqliteIntegrity(const std::string& path) {
  // Read-write without create: a read-only connection cannot open a WAL
  // database whose -shm file does not exist yet.
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  if (rc != SQLITE_OK) {
    Status st = internal::SqliteError(db, rc, "open " + path);
    sqlite3_close(db);
    return st;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  std::vector<std::string> problems;
  rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      problems.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
  }
  Status st;
  if (rc != SQLITE_DONE) {
    st = internal::SqliteError(db, rc, "integrity_check of " + path);
    if (st.IsIOError()) st = Status::Corruption(st.message());
  } else if (problems.size() != 1 || problems[0] != "ok") {
    std::string msg = "registry " + path + " failed its integrity check:";
    for (const std::string& p : problems) msg += "\n  " + p;
    st = Status::Corruption(msg);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return st;
}

int SchemaVersion() { return std::end(internal::kMigrations)[-1].version; }

namespace internal {

const char* MigrationSql(int version) {
  for (const Migration& m : kMigrations) {
    if (m.version == version) return m.sql;
  }
  return nullptr;
}

}  // namespace internal

}  // namespace mlops::registry
