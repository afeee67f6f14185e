// ArtifactCollector: removes stored content (<artifacts>/sha256/ab/<digest>)
// that nothing references, on request only (`mlctl gc --artifacts`). The
// registry keeps every record, so what it removes is content no run and no
// model version ever recorded: outputs of attempts that never finished
// recording (a crash), or stores copied between machines.
//
// Kept, whatever else holds: every digest RetentionGuard::ReferencedArtifacts
// names; every file modified at or after ActiveSinceMs() - kWriteGrace (an
// active run may have stored it and not recorded it yet); <artifacts>/tmp
// (files being written); anything not named like a digest. Just before each
// removal the registry is asked again (ArtifactReferenced), for what was
// recorded while the collection ran.
// Thread-safety: Collect may run on any thread; concurrent Collects are
// the caller's to prevent (the daemon runs them under one mutex).
#pragma once

#include <chrono>
#include <string>

#include "mlops/common/clock.h"
#include "retention/collect_report.h"
#include "retention/retention_guard.h"
#include "retention/state_fs.h"

namespace mlops::retention {

class ArtifactCollector {
 public:
  static constexpr std::chrono::milliseconds kWriteGrace{std::chrono::minutes(10)};

  // `root` is the content store's folder; `state_dir` the folder report
  // paths are relative to.
  ArtifactCollector(std::string root, std::string state_dir, StateFs* fs, Clock* clock,
                    RetentionGuard* guard);

  // Adds what goes (or would go, in a dry run) to *report.
  Status Collect(bool dry_run, CollectReport* report);

 private:
  const std::string root_, state_dir_;
  StateFs* fs_;
  Clock* clock_;
  RetentionGuard* guard_;
};

}  // namespace mlops::retention
