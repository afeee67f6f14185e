#include "models/stable_path.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "mlops/common/files.h"
#include "mlops/common/sha256.h"

namespace mlops::models {

namespace {

// The published file never shares an inode with the stored artifact (a
// write to one must not change the other): a reflink where the file system
// has them (blocks shared until either side is written), a copy otherwise.
Status PlaceCopy(const std::string& src, const std::string& dest, const std::string& sha256,
                 const std::string& name) {
  int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (in < 0) {
    if (errno == ENOENT) {
      return Status::NotFound("artifact " + sha256 + " of '" + name + "' is not stored");
    }
    return Status::FromErrno("cannot open " + src, errno);
  }
  int out = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (out < 0) {
    int e = errno;
    ::close(in);
    return Status::FromErrno("cannot create " + dest, e);
  }
  const bool cloned = ::ioctl(out, FICLONE, in) == 0 && ::fsync(out) == 0;
  ::close(in);
  ::close(out);
  if (cloned) return Status::OK();
  ::unlink(dest.c_str());
  MLOPS_RETURN_IF_ERROR(CopyFile(src, dest));
  ::chmod(dest.c_str(), 0444);
  return Status::OK();
}

}  // namespace

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
  const std::string final_dir = VersionDir(root, model, version);
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
    MLOPS_RETURN_IF_ERROR(PlaceCopy(src, dest, s.sha256, s.name));
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

std::string VersionDir(const std::string& root, const std::string& model, int64_t version) {
  return JoinPath(JoinPath(JoinPath(root, model), "versions"), std::to_string(version));
}

Status CheckPublished(const std::string& root, const std::string& model, int64_t version,
                      const std::vector<signing::Subject>& subjects, std::string* problem) {
  problem->clear();
  const std::string dir = VersionDir(root, model, version);
  if (!PathExists(dir)) return Status::OK();
  for (const auto& s : subjects) {
    MLOPS_RETURN_IF_ERROR(signing::CheckSubjectName(s.name));
    const std::string path = JoinPath(dir, s.name);
    std::string sha;
    uint64_t size = 0;
    Status hs = Sha256File(path, &sha, &size);
    if (!hs.ok()) {
      *problem = "published file " + path + ": " + hs.message();
      return Status::OK();
    }
    if (sha != s.sha256) {
      *problem = "published file " + path + " was modified: its sha256 is " + sha +
                 ", the manifest says " + s.sha256;
      return Status::OK();
    }
  }
  return Status::OK();
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
