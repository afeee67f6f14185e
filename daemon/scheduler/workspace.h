// Workspace: the file-system seam of the scheduler. It makes a run's
// workspace, digests input files into the artifact store, ingests outputs and
// restores cached outputs. The daemon uses LocalWorkspace; scheduler tests
// use an in-memory fake.
// Thread-safety: implementations must be safe to call from any thread.
#pragma once

#include <string>
#include <vector>

#include "mlops/common/status.h"
#include "mlops/registry/records.h"

namespace mlops::scheduler {

class Workspace {
 public:
  virtual ~Workspace() = default;
  // Creates a fresh workspace for run `run_id` from `source_dir` (copied;
  // empty = an empty folder). *dir receives its absolute path.
  virtual Status Prepare(int64_t run_id, const std::string& source_dir, std::string* dir) = 0;
  // Log file of an attempt and scratch folder of a stage; the folders that
  // hold them exist once these return (the stage host makes the scratch
  // folder itself when its plugin first asks for it).
  virtual std::string LogPath(int64_t run_id, const std::string& stage, int attempt) = 0;
  virtual std::string ScratchDir(int64_t run_id, const std::string& stage) = 0;
  // Hashes the file at `path` and stores it content-addressed.
  // NotFound when it does not exist.
  virtual Status Ingest(const std::string& path, registry::ArtifactRecord* out) = 0;
  // The SHA-256 of the file at `path`, without storing it. Implementations
  // may skip reading a file whose identity and times are unchanged since it
  // was last hashed. NotFound when it does not exist.
  virtual Status Digest(const std::string& path, std::string* sha256) = 0;
  // True when the artifact's content is still in the store.
  virtual bool Has(const std::string& sha256) = 0;
  // Writes the stored content to `dest` (creating parent folders).
  virtual Status Restore(const std::string& sha256, const std::string& dest) = 0;
  // Run `run_id` ended: its workspace joins those of ended runs, and the
  // ones that ended longest ago beyond the newest `keep` are removed. Only
  // an ended run's workspace is ever removed.
  virtual void Retire(int64_t run_id, size_t keep) = 0;
};

}  // namespace mlops::scheduler
