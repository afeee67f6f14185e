// LocalWorkspace: Workspace over the daemon's state folder:
//   <state>/workspaces/run-<id>/     the run's working copy
//   <state>/logs/run-<id>/<stage>.<attempt>.log
//   <state>/scratch/run-<id>/<stage>/
// and an ArtifactStore for content. Thread-safety: safe from any thread.
#pragma once

#include <string>

#include "mlops/registry/artifact_store.h"
#include "scheduler/workspace.h"

namespace mlops::scheduler {

class LocalWorkspace final : public Workspace {
 public:
  // REQUIRES: `artifacts` outlives this object.
  LocalWorkspace(std::string state_dir, registry::ArtifactStore* artifacts)
      : state_dir_(std::move(state_dir)), artifacts_(artifacts) {}

  Status Prepare(int64_t run_id, const std::string& source_dir, std::string* dir) override;
  std::string LogPath(int64_t run_id, const std::string& stage, int attempt) override;
  std::string ScratchDir(int64_t run_id, const std::string& stage) override;
  Status Ingest(const std::string& path, registry::ArtifactRecord* out) override;
  bool Has(const std::string& sha256) override;
  Status Restore(const std::string& sha256, const std::string& dest) override;

 private:
  std::string state_dir_;
  registry::ArtifactStore* artifacts_;
};

}  // namespace mlops::scheduler
