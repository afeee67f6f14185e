// SqliteDb: one SQLite connection with a cache of prepared statements, and the
// small RAII types the SQLite store is written with (Stmt, Txn).
// Internal to the registry library; no SQLite type leaves registry/src.
// Thread-safety: none. The owner serialises every use (SqliteStore holds a
// mutex around its SqliteDb).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mlops/common/status.h"

namespace mlops::registry::internal {

// A cached prepared statement borrowed from SqliteDb. Bind* use 1-based
// indexes; the destructor resets the statement and clears its bindings so
// the next borrower starts clean.
class Stmt {
 public:
  Stmt() = default;
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  void Bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void Bind(int i, int v) { sqlite3_bind_int64(s_, i, v); }
  void Bind(int i, bool v) { sqlite3_bind_int64(s_, i, v ? 1 : 0); }
  void Bind(int i, double v) { sqlite3_bind_double(s_, i, v); }
  void Bind(int i, std::string_view v);
  void BindNull(int i) { sqlite3_bind_null(s_, i); }
  void Bind(int i, const char* v) { Bind(i, std::string_view(v)); }
  void Bind(int i, const std::string& v) { Bind(i, std::string_view(v)); }

  // Advances to the next row: OK with *row true while one is available, OK
  // with *row false once done; an error Status otherwise.
  Status Step(bool* row);
  // Steps to completion, for statements that return no rows.
  Status Run();

  int64_t Int64(int col) const { return sqlite3_column_int64(s_, col); }
  int Int(int col) const { return sqlite3_column_int(s_, col); }
  double Double(int col) const { return sqlite3_column_double(s_, col); }
  std::string Text(int col) const;
  bool IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

 private:
  friend class SqliteDb;
  sqlite3_stmt* s_ = nullptr;
  sqlite3* db_ = nullptr;
};

class SqliteDb {
 public:
  // Opens the file at `path`, creating it with mode 0600 when missing. No
  // pragma is set and nothing is written: the caller decides whether the
  // file's schema is acceptable first.
  static Status Open(const std::string& path, std::unique_ptr<SqliteDb>* out);
  // Opens an existing file with a read-only connection: nothing is created
  // and every write fails (SQLITE_READONLY). A WAL database needs its -shm
  // and -wal files present or a writable folder to create them (SQLite's
  // read-only WAL rules); SQLite falls back to a private copy of the
  // wal-index when the -shm file itself is read-only.
  static Status OpenReadOnly(const std::string& path, std::unique_ptr<SqliteDb>* out);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Points *stmt at the cached statement for `sql`, preparing it on first
  // use. REQUIRES: *stmt is not holding another statement.
  Status Prepare(std::string_view sql, Stmt* stmt);
  // Runs SQL text without parameters (DDL, pragmas, BEGIN/COMMIT).
  Status Exec(const char* sql);
  // Runs a pragma and returns the first column of its first row.
  Status QueryPragma(const char* sql, std::string* value);
  // Whether closing the last connection folds the WAL into the database
  // file (SQLite's default). Off while deciding whether to touch a file.
  void SetCheckpointOnClose(bool on) {
    sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, on ? 0 : 1, nullptr);
  }
  int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  int Changes() const { return sqlite3_changes(db_); }
  const std::string& path() const { return path_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  static Status OpenWithFlags(const std::string& path, int mode, std::unique_ptr<SqliteDb>* out);
  sqlite3* db_;
  std::string path_;
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Keyed by SQL text; looked up without copying the text.
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> cache_;
};

// A transaction that rolls back unless committed. Write transactions start
// with BEGIN IMMEDIATE so that a writer never has to upgrade a read lock
// (which could fail with SQLITE_BUSY regardless of busy_timeout).
class Txn {
 public:
  enum class Mode { kRead, kWrite };
  Txn(SqliteDb* db, Mode mode) : db_(db), mode_(mode) {}
  ~Txn();
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

  Status Begin();
  Status Commit();

 private:
  SqliteDb* db_;
  Mode mode_;
  bool open_ = false;
};

// Converts an SQLite result code into a Status: busy/locked -> Unavailable,
// constraint -> Conflict, corrupt/notadb -> Corruption, else IOError.
Status SqliteError(sqlite3* db, int rc, std::string_view what);

}  // namespace mlops::registry::internal
