// StateFs: the file-system seam of retention. The daemon uses RealStateFs;
// unit tests use an in-memory fake, so collection rules are tested without
// touching a disk or a clock.
// Thread-safety: RealStateFs is stateless and safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlops/common/status.h"

namespace mlops::retention {

struct FsEntry {
  std::string name;      // the last path component
  bool is_dir = false;
  int64_t mtime_ms = 0;  // modification time, ms since the Unix epoch
};

class StateFs {
 public:
  virtual ~StateFs() = default;
  // The entries of `dir` except "." and "..", in no particular order; an
  // absent `dir` is an empty list, not an error.
  virtual Status List(const std::string& dir, std::vector<FsEntry>* out) = 0;
  // NotFound when `path` does not exist (symlinks are not followed).
  virtual Status Stat(const std::string& path, FsEntry* out) = 0;
  // Disk space the tree at `path` takes (allocated blocks; 0 when absent).
  virtual int64_t DiskBytes(const std::string& path) = 0;
  // Removes the file or tree at `path`; an absent path is OK.
  virtual Status Remove(const std::string& path) = 0;
};

class RealStateFs final : public StateFs {
 public:
  Status List(const std::string& dir, std::vector<FsEntry>* out) override;
  Status Stat(const std::string& path, FsEntry* out) override;
  int64_t DiskBytes(const std::string& path) override;
  Status Remove(const std::string& path) override;
};

}  // namespace mlops::retention
