// Collector: prunes the folders the daemon writes under its state folder
// (retention_config.h names them) by count, age and disk use, newest kept.
// It keeps an index of what it found; Rescan lists every folder again,
// NoteRunEnded adds one run's folders without listing anything, so a run
// that ends costs work in proportion to that run, not to the history.
//
// Never removed, whatever the limits: the folders of a run that is not
// ended (RetentionGuard::RunEnded), the provenance of a run that registered
// a model version, a checkout whose commit a queued or running run uses or
// that was made less than kFreshGrace ago (its run may not be recorded
// yet), and anything under <state>/logs/.spare or named otherwise than the
// layout says. These still count towards the limits.
//
// Workspaces have two removers that never need to agree: the scheduler
// (Workspace::Retire) keeps the newest `keep_workspaces` by count, this
// collector applies age and size. Both remove only ended runs' folders, and
// a folder the other removed first counts as removed (StateFs::Remove).
//
// Order: run folders and provenance by run id (newest run first), checkouts
// by modification time. An entry goes when it is beyond `keep`, older than
// `max_age`, or when it and everything newer exceed `max_bytes`.
// Thread-safety: all methods are safe from any thread (one mutex); the
// seams must outlive the collector.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "mlops/common/clock.h"
#include "retention/collect_report.h"
#include "retention/retention_config.h"
#include "retention/retention_guard.h"
#include "retention/state_fs.h"

namespace mlops::retention {

class Collector {
 public:
  static constexpr std::chrono::milliseconds kFreshGrace{std::chrono::minutes(10)};

  Collector(std::string state_dir, RetentionConfig config, StateFs* fs, Clock* clock,
            RetentionGuard* guard);

  // Lists every folder class that has a limit and rebuilds the index (disk
  // use is measured again only for entries whose modification time moved).
  void Rescan();
  // Indexes the run's logs, scratch and workspace folders (stat and size of
  // those alone). Its provenance joins at the next Rescan.
  void NoteRunEnded(int64_t run_id);
  // Applies the limits to the index; removes unless `dry_run`.
  CollectReport Collect(bool dry_run);

  const RetentionConfig& config() const { return config_; }
  size_t indexed(FolderKind kind) const;

 private:
  struct Entry {
    std::string path;      // relative to the state folder
    int64_t run_id = 0;    // 0 for checkouts
    std::string commit;    // checkouts only
    int64_t mtime_ms = 0;
    int64_t bytes = 0;
    bool ended = false;    // RunEnded said so once: it stays so
  };
  using Index = std::map<std::string, Entry>;  // by path

  void ScanKind(FolderKind kind, const Index& before, Index* out);
  void AddEntry(const Index& before, Entry e, Index* out);
  bool Protected(FolderKind kind, Entry* e, const std::set<std::string>& commits_in_use);
  void CollectKind(FolderKind kind, bool dry_run, CollectReport* report);

  const std::string state_dir_;
  const RetentionConfig config_;
  StateFs* fs_;
  Clock* clock_;
  RetentionGuard* guard_;
  mutable std::mutex mu_;
  std::array<Index, kFolderKinds> index_;  // protected by mu_
};

// "run-12" -> 12; "run-12-attempt-3.json" (provenance) -> 12; 0 otherwise.
int64_t RunIdOfRunFolder(const std::string& name);
int64_t RunIdOfProvenanceFile(const std::string& name);

}  // namespace mlops::retention
