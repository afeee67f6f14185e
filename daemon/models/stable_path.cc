#include "models/stable_path.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "mlops/common/files.h"
#include "mlops/common/sha256.h"

namespace mlops::models {

std::string ProductionLink(const std::string& root, const std::string& model) {
  return JoinPath(JoinPath(root, model), "production");
}

Status PublishVersion(const std::string& root, const std::string& model, int64_t version,
                      const std::vector<signing::Subject>& subjects,
                      const std::string& envelope_sha256, const registry::ArtifactStore& store,
                      std::string* dir) {
  for (const auto& s : subjects) {
    MLOPS_RETURN_IF_ERROR(signing::CheckSubjectName(s.name));
    if (s.name == kPublishedSignatureName) {
      return Status::InvalidArgument(std::string("a signed file may not be named ") +
                                     kPublishedSignatureName + ": the signature goes there");
    }
    if (!IsSha256Hex(s.sha256)) {
      return Status::InvalidArgument("subject '" + s.name + "' has no valid sha256 digest");
    }
  }
  const std::string versions = JoinPath(JoinPath(root, model), "versions");
  MLOPS_RETURN_IF_ERROR(MakeDirs(versions, 0755));
  const std::string final_dir = JoinPath(versions, std::to_string(version));
  // Built beside the final folder, then renamed into place: a half-built
  // folder is never what the production link points at.
  const std::string tmp = final_dir + ".tmp" + std::to_string(::getpid());
  (void)RemoveTree(tmp);
  MLOPS_RETURN_IF_ERROR(MakeDirs(tmp, 0755));
  std::vector<signing::Subject> files = subjects;
  if (!envelope_sha256.empty()) files.push_back({kPublishedSignatureName, envelope_sha256});
  for (const auto& s : files) {
    const std::string src = store.PathFor(s.sha256);
    const std::string dest = JoinPath(tmp, s.name);
    MLOPS_RETURN_IF_ERROR(MakeDirs(DirName(dest), 0755));
    if (::link(src.c_str(), dest.c_str()) != 0) {
      if (errno == ENOENT) {
        return Status::NotFound("artifact " + s.sha256 + " of '" + s.name + "' is not stored");
      }
      MLOPS_RETURN_IF_ERROR(CopyFile(src, dest));
      ::chmod(dest.c_str(), 0444);
    }
    std::string sha;
    uint64_t size = 0;
    MLOPS_RETURN_IF_ERROR(Sha256File(dest, &sha, &size));
    if (sha != s.sha256) {
      (void)RemoveTree(tmp);
      return Status::Corruption("stored file for '" + s.name + "' has sha256 " + sha +
                                ", the manifest says " + s.sha256);
    }
  }
  // A rollback target may still have its old folder: replace it (the link
  // never points at it while we do, it is not the production version).
  if (PathExists(final_dir)) MLOPS_RETURN_IF_ERROR(RemoveTree(final_dir));
  if (::rename(tmp.c_str(), final_dir.c_str()) != 0) {
    return Status::FromErrno("rename " + tmp + " to " + final_dir, errno);
  }
  *dir = final_dir;
  return SyncDir(versions);
}

Status SwapProduction(const std::string& root, const std::string& model, int64_t version) {
  const std::string model_dir = JoinPath(root, model);
  const std::string link = ProductionLink(root, model);
  const std::string tmp = link + ".new" + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  const std::string target = "versions/" + std::to_string(version);
  if (::symlink(target.c_str(), tmp.c_str()) != 0) {
    return Status::FromErrno("symlink " + tmp, errno);
  }
  if (::rename(tmp.c_str(), link.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Status::FromErrno("rename " + tmp + " to " + link, e);
  }
  return SyncDir(model_dir);
}

}  // namespace mlops::models
