// SegmentFiles: the seam between the prediction log and the disk, so that
// tests can fail writes (a full disk) without one. PosixSegmentFiles is the
// real one. Thread-safety: PosixSegmentFiles is stateless and safe from any
// thread; the writer calls its seam from its own thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mlops/common/status.h"

namespace mlops::serving {

class SegmentFiles {
 public:
  struct Entry {
    std::string name;      // file or folder name, no path
    bool is_dir = false;
    int64_t bytes = 0;
    int64_t mtime_ms = 0;  // wall clock
  };
  virtual ~SegmentFiles() = default;
  virtual Status MakeDirs(const std::string& dir) = 0;
  // Appends `data` to `path` (created 0640 if missing). All or nothing: on
  // any failure the file keeps its previous length (a short write is cut
  // back), so no torn line stays behind a later append.
  virtual Status Append(const std::string& path, std::string_view data) = 0;
  // Missing files are not an error.
  virtual Status Remove(const std::string& path) = 0;
  // The entries of `dir`; an empty list when it does not exist.
  virtual Status List(const std::string& dir, std::vector<Entry>* out) = 0;
};

class PosixSegmentFiles final : public SegmentFiles {
 public:
  Status MakeDirs(const std::string& dir) override;
  Status Append(const std::string& path, std::string_view data) override;
  Status Remove(const std::string& path) override;
  Status List(const std::string& dir, std::vector<Entry>* out) override;
};

// Segment file names: "<started_ms>-<seq>.jsonl". False for other names.
bool ParseSegmentName(const std::string& name, int64_t* started_ms, int64_t* seq);
std::string SegmentName(int64_t started_ms, int64_t seq);

}  // namespace mlops::serving

namespace mlops::serving {
// A model name usable as a folder name: [A-Za-z0-9][A-Za-z0-9._-]*, at most
// 128 characters. The log refuses other names (no path can escape the root).
bool IsLoggableModelName(const std::string& name);
}  // namespace mlops::serving
