// The registry's SQLite schema: numbered migrations recorded in
// PRAGMA user_version, and the one way to open a registry file.
// Internal to the registry library.
#pragma once

#include <memory>
#include <string>

#include "mlops/common/status.h"
#include "sqlite_db.h"

namespace mlops::registry::internal {

// Opens the registry at `path` (created 0600 when missing). A file whose
// user_version is newer than this build's is refused with InvalidArgument
// naming both versions and is left byte-for-byte as it was. Otherwise sets
// WAL, synchronous=NORMAL and foreign keys, then applies every migration the
// file lacks, each in its own transaction.
Status OpenRegistryDb(const std::string& path, std::unique_ptr<SqliteDb>* out);

// Opens the registry at `path` read-only for a process that must never
// write to it (mlops-serve). Refuses, with InvalidArgument naming both
// versions, a schema other than this build's: a newer one it does not know,
// an older one it cannot migrate. Nothing is created, set or migrated.
Status OpenRegistryDbReadOnly(const std::string& path, std::unique_ptr<SqliteDb>* out);

// The SQL of migration `version`, for tests that build an older file;
// nullptr when there is no such migration.
const char* MigrationSql(int version);

}  // namespace mlops::registry::internal
