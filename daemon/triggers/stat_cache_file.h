// The DataVersioner's persisted state: the stat cache and the last digest
// of each watched path, as a versioned text file. Internal to the triggers
// library.
//
// Format, version 1 (one record a line, fields separated by one space,
// paths escaped so they hold no space, newline, '%' or control byte: each
// such byte becomes %XX):
//   mlops-data-stat-cache 1
//   W <path> <sha256>
//   F <path> <dev> <ino> <size> <mtime_ns> <ctime_ns> <trusted 0|1> <sha256>
// A file of another version is refused, never guessed at.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "mlops/common/status.h"

namespace mlops::triggers::internal {

struct StatEntry {
  uint64_t dev = 0;
  uint64_t ino = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  // False when the file was read so soon after its last change that its
  // timestamps cannot vouch for the content: it is read again next time.
  bool trusted = false;
  std::string sha256;
};

struct StatCacheState {
  std::unordered_map<std::string, StatEntry> files;        // by absolute path
  std::unordered_map<std::string, std::string> watched;    // path -> last digest
};

inline constexpr int kStatCacheVersion = 1;

// NotFound when the file does not exist; InvalidArgument for another
// version; Corruption for a malformed line (naming file and line). *out is
// left empty on any error.
Status LoadStatCache(const std::string& path, StatCacheState* out);

// Writes atomically (temp file, fsync, rename), mode 0600.
Status SaveStatCache(const std::string& path, const StatCacheState& state);

std::string EscapePath(const std::string& path);
// False on a malformed escape.
bool UnescapePath(const std::string& escaped, std::string* out);

}  // namespace mlops::triggers::internal
