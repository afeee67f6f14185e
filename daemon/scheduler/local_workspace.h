// LocalWorkspace: Workspace over the daemon's state folder:
//   <state>/workspaces/run-<id>/     the run's working copy
//   <state>/logs/run-<id>/<stage>.<attempt>.log
//   <state>/scratch/run-<id>/<stage>/
// and an ArtifactStore for content. A run's log and scratch folders are
// made once, not per attempt.
//
// Retire keeps the ended runs' workspaces in the order they ended, so a
// run's end costs one removal at most, whatever else is in workspaces/.
// Workspaces an earlier daemon left are listed once, when this object is
// made, and count as ended before any run of this one (oldest id first).
//
// Stat cache: Digest and Ingest remember, per path, the digest of a regular
// file with its (device, inode, size, mtime_ns, ctime_ns); a file whose
// identity and times are unchanged is not read again (Ingest also checks
// that the content is still stored). ctime is in the key because no user
// can set it. A file hashed less than kRacyWindow after its last change is
// not remembered: a later write within the same timestamp tick could leave
// its times unchanged (git's "racy clean" problem).
// Thread-safety: safe from any thread.
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include "mlops/registry/artifact_store.h"
#include "scheduler/workspace.h"

namespace mlops::scheduler {

class LocalWorkspace final : public Workspace {
 public:
  static constexpr std::chrono::milliseconds kRacyWindow{1000};
  static constexpr size_t kMaxCachedFiles = 100000;  // then the cache starts over

  // REQUIRES: `artifacts` outlives this object.
  LocalWorkspace(std::string state_dir, registry::ArtifactStore* artifacts,
                 std::chrono::milliseconds racy_window = kRacyWindow);

  Status Prepare(int64_t run_id, const std::string& source_dir, std::string* dir) override;
  std::string LogPath(int64_t run_id, const std::string& stage, int attempt) override;
  std::string ScratchDir(int64_t run_id, const std::string& stage) override;
  Status Ingest(const std::string& path, registry::ArtifactRecord* out) override;
  Status Digest(const std::string& path, std::string* sha256) override;
  bool Has(const std::string& sha256) override;
  Status Restore(const std::string& sha256, const std::string& dest) override;
  void Retire(int64_t run_id, size_t keep) override;

  // Files hashed by reading them, and answered from the stat cache (tests).
  int files_read() const;
  int stat_cache_hits() const;

 private:
  struct StatEntry {
    uint64_t dev = 0;
    uint64_t ino = 0;
    int64_t size = 0;
    int64_t mtime_ns = 0;
    int64_t ctime_ns = 0;
    std::string sha256;
  };
  // Makes <state>/logs/run-<id> and <state>/scratch/run-<id> unless done.
  void EnsureRunFolders(int64_t run_id);
  // The cached digest of `path` if its stat matches; false otherwise.
  bool Cached(const std::string& path, const struct stat& st, std::string* sha256);
  void Remember(const std::string& path, const struct stat& st, const std::string& sha256);
  void CountRead();

  std::string state_dir_;
  registry::ArtifactStore* artifacts_;
  const std::chrono::milliseconds racy_window_;
  mutable std::mutex mu_;
  std::set<int64_t> run_folders_;                     // protected by mu_
  std::deque<int64_t> ended_;  // workspaces of ended runs, oldest end first; protected by mu_
  std::unordered_map<std::string, StatEntry> stats_;  // protected by mu_
  int files_read_ = 0;                                // protected by mu_
  int cache_hits_ = 0;                                // protected by mu_
};

}  // namespace mlops::scheduler
