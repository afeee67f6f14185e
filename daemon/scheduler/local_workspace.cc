#include "scheduler/local_workspace.h"

#include <sys/stat.h>

#include "mlops/common/files.h"

namespace mlops::scheduler {

namespace {
std::string RunFolder(int64_t run_id) { return "run-" + std::to_string(run_id); }
}  // namespace

Status LocalWorkspace::Prepare(int64_t run_id, const std::string& source_dir, std::string* dir) {
  std::string path = JoinPath(JoinPath(state_dir_, "workspaces"), RunFolder(run_id));
  MLOPS_RETURN_IF_ERROR(RemoveTree(path));
  if (source_dir.empty()) {
    MLOPS_RETURN_IF_ERROR(MakeDirs(path, 0755));
  } else {
    MLOPS_RETURN_IF_ERROR(MakeDirs(DirName(path), 0755));
    Status s = CopyTree(source_dir, path);
    if (!s.ok()) return Status::IOError("cannot make the workspace of run " +
                                        std::to_string(run_id) + ": " + s.message());
  }
  *dir = path;
  return Status::OK();
}

std::string LocalWorkspace::LogPath(int64_t run_id, const std::string& stage, int attempt) {
  std::string dir = JoinPath(JoinPath(state_dir_, "logs"), RunFolder(run_id));
  (void)MakeDirs(dir, 0755);
  return JoinPath(dir, stage + "." + std::to_string(attempt) + ".log");
}

std::string LocalWorkspace::ScratchDir(int64_t run_id, const std::string& stage) {
  std::string dir = JoinPath(JoinPath(JoinPath(state_dir_, "scratch"), RunFolder(run_id)), stage);
  (void)MakeDirs(dir, 0755);
  return dir;
}

Status LocalWorkspace::Ingest(const std::string& path, registry::ArtifactRecord* out) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::NotFound(path + ": no such file");
  return artifacts_->Ingest(path, "", out);
}

bool LocalWorkspace::Has(const std::string& sha256) { return artifacts_->Contains(sha256); }

Status LocalWorkspace::Restore(const std::string& sha256, const std::string& dest) {
  return artifacts_->Materialize(sha256, dest);
}

}  // namespace mlops::scheduler
