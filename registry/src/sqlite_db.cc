#include "sqlite_db.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace mlops::registry::internal {

Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string msg = "sqlite: " + std::string(what) + ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(std::move(msg));
    case SQLITE_CONSTRAINT:
      return Status::Conflict(std::move(msg));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(std::move(msg));
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return Status::PermissionDenied(std::move(msg));
    default:
      return Status::IOError(std::move(msg));
  }
}

Stmt::~Stmt() {
  if (s_ != nullptr) {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
}

void Stmt::Bind(int i, std::string_view v) {
  sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

Status Stmt::Step(bool* row) {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) {
    *row = true;
    return Status::OK();
  }
  *row = false;
  if (rc == SQLITE_DONE) return Status::OK();
  return SqliteError(db_, rc, sqlite3_sql(s_));
}

Status Stmt::Run() {
  bool row = false;
  do {
    MLOPS_RETURN_IF_ERROR(Step(&row));
  } while (row);
  return Status::OK();
}

std::string Stmt::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(s_, col);
  if (p == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(s_, col)));
}

Status SqliteDb::Open(const std::string& path, std::unique_ptr<SqliteDb>* out) {
  // SQLite would create the file 0644; create it 0600 first. Its -wal and
  // -shm files copy the database file's mode. Only a missing file is
  // opened here: closing a descriptor of a file drops every POSIX lock this
  // process holds on it, so opening and closing an existing registry would
  // silently release the SHARED lock of the daemon's other connections. An
  // outside `sqlite3` could then take the file for its own, checkpoint,
  // and delete the WAL those connections still write to, and their commits
  // would be lost at the next kill -9.
  // O_EXCL refuses a symlink too; SQLITE_OPEN_NOFOLLOW refuses one below.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0) {
    ::close(fd);
  } else if (errno != EEXIST) {
    return Status::FromErrno("cannot open registry " + path, errno);
  }

  return OpenWithFlags(path, SQLITE_OPEN_READWRITE, out);
}

Status SqliteDb::OpenReadOnly(const std::string& path, std::unique_ptr<SqliteDb>* out) {
  if (!std::filesystem::exists(path)) {
    return Status::NotFound("registry " + path + " does not exist (mlopsd creates it at its "
                            "first start)");
  }
  return OpenWithFlags(path, SQLITE_OPEN_READONLY, out);
}

Status SqliteDb::OpenWithFlags(const std::string& path, int mode, std::unique_ptr<SqliteDb>* out) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, mode | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
                           nullptr);
  if (rc != SQLITE_OK) {
    Status st = SqliteError(db, rc, "open " + path);
    sqlite3_close(db);
    return st;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 5000);
  out->reset(new SqliteDb(db, path));
  return Status::OK();
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Status SqliteDb::Prepare(std::string_view sql, Stmt* stmt) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "prepare " + std::string(sql));
    it = cache_.emplace(std::string(sql), s).first;
  }
  // A cached statement serves one borrower at a time; a second borrower
  // while the first is still stepping would silently reset its cursor.
  if (sqlite3_stmt_busy(it->second)) {
    return Status::Conflict("sqlite: statement already in use: " + std::string(sql));
  }
  stmt->s_ = it->second;
  stmt->db_ = db_;
  return Status::OK();
}

Status SqliteDb::Exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, sql);
  return Status::OK();
}

Status SqliteDb::QueryPragma(const char* sql, std::string* value) {
  Stmt stmt;
  MLOPS_RETURN_IF_ERROR(Prepare(sql, &stmt));
  bool row = false;
  MLOPS_RETURN_IF_ERROR(stmt.Step(&row));
  value->clear();
  if (row) *value = stmt.Text(0);
  return stmt.Run();
}

Txn::~Txn() {
  if (open_) (void)db_->Exec("ROLLBACK");
}

// BEGIN and COMMIT run as cached statements: sqlite3_exec would parse
// them again for every transaction.
Status Txn::Begin() {
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db_->Prepare(mode_ == Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN", &s));
  MLOPS_RETURN_IF_ERROR(s.Run());
  open_ = true;
  return Status::OK();
}

Status Txn::Commit() {
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db_->Prepare("COMMIT", &s));
  Status st = s.Run();
  if (st.ok()) open_ = false;
  return st;
}

}  // namespace mlops::registry::internal
