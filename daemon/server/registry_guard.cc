#include "server/registry_guard.h"

#include <algorithm>

namespace mlops::server {

using registry::RunStatus;

bool RegistryGuard::RunEnded(int64_t run_id) {
  registry::RunRecord run;
  Status s = store_->GetRun(run_id, &run);
  if (s.code() == Status::Code::kNotFound) return true;
  if (!s.ok()) return false;
  // An interrupted run with no end time is resubmitted by the next start.
  return registry::IsTerminal(run.status) ||
         (run.status == RunStatus::kInterrupted && run.finished_ms != 0);
}

bool RegistryGuard::RunHasModelVersion(int64_t run_id) {
  registry::ModelVersionRecord v;
  Status s = models_->FindVersionByRun(run_id, &v);
  return s.ok() || s.code() != Status::Code::kNotFound;  // unsure: keep
}

Status RegistryGuard::ActiveRuns(std::vector<registry::RunRecord>* out) {
  registry::RunFilter active;
  active.status = {RunStatus::kQueued, RunStatus::kRunning};
  active.limit = 0;
  return store_->ListRuns(active, out);
}

Status RegistryGuard::CommitsInUse(std::set<std::string>* out) {
  std::vector<registry::RunRecord> runs;
  MLOPS_RETURN_IF_ERROR(ActiveRuns(&runs));
  out->clear();
  for (const auto& r : runs) {
    if (!r.commit.empty()) out->insert(r.commit);
  }
  return Status::OK();
}

Status RegistryGuard::ReferencedArtifacts(std::unordered_set<std::string>* out) {
  // Every attempt's inputs and outputs are recorded artifacts (the edges
  // reference the artifacts table).
  std::vector<registry::ArtifactRecord> artifacts;
  MLOPS_RETURN_IF_ERROR(store_->ListArtifacts(0, &artifacts));
  for (const auto& a : artifacts) out->insert(a.sha256);
  std::vector<registry::ModelRecord> models;
  MLOPS_RETURN_IF_ERROR(models_->ListModels(&models));
  for (const auto& m : models) {
    std::vector<registry::ModelVersionRecord> versions;
    MLOPS_RETURN_IF_ERROR(models_->ListVersions(m.name, &versions));
    for (const auto& v : versions) {
      out->insert(v.artifact_sha256);
      if (!v.envelope_sha256.empty()) out->insert(v.envelope_sha256);
    }
  }
  return Status::OK();
}

bool RegistryGuard::ArtifactReferenced(const std::string& sha256) {
  registry::ArtifactRecord a;
  Status s = store_->GetArtifact(sha256, &a);
  return s.ok() || s.code() != Status::Code::kNotFound;  // unsure: keep
}

int64_t RegistryGuard::ActiveSinceMs() {
  const int64_t now = clock_->WallMillis();
  std::vector<registry::RunRecord> runs;
  if (!ActiveRuns(&runs).ok()) return 0;  // unsure: everything counts as recent
  int64_t since = now;
  for (const auto& r : runs) since = std::min(since, r.queued_ms);
  return since;
}

}  // namespace mlops::server
