#include "access/bootstrap.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>

#include "mlops/common/files.h"
#include "mlops/registry/token_store.h"

namespace mlops::access {
namespace {

Status ChmodExact(const std::string& path, mode_t mode, bool optional) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) {
    if (optional && errno == ENOENT) return Status::OK();
    return Status::FromErrno("cannot stat " + path, errno);
  }
  if (S_ISLNK(st.st_mode)) {
    return Status::PermissionDenied(path + " is a symbolic link; refusing to use it");
  }
  if ((st.st_mode & 07777) != mode && ::chmod(path.c_str(), mode) != 0) {
    return Status::FromErrno("cannot set mode of " + path, errno);
  }
  if (::lstat(path.c_str(), &st) != 0 || (st.st_mode & 07777) != mode) {
    return Status::PermissionDenied(path + " must have mode " + std::to_string(mode >> 6) +
                                    std::to_string((mode >> 3) & 7) + std::to_string(mode & 7));
  }
  return Status::OK();
}

}  // namespace

Status EnsureAdminToken(registry::TokenStore* tokens, const std::string& state_dir,
                        int64_t now_ms, bool* created) {
  if (created) *created = false;
  int admins = 0;
  MLOPS_RETURN_IF_ERROR(tokens->CountLiveAdmins(&admins));
  if (admins > 0) return Status::OK();
  registry::TokenRecord rec;
  std::string secret;
  Status s;
  for (int n = 1; n <= 100; ++n) {
    const std::string name = n == 1 ? "bootstrap-admin" : "bootstrap-admin-" + std::to_string(n);
    s = tokens->Create(name, "admin", "mlopsd", now_ms, &rec, &secret);
    if (!s.IsConflict()) break;
  }
  MLOPS_RETURN_IF_ERROR(s);
  const std::string path = JoinPath(state_dir, kAdminTokenFile);
  MLOPS_RETURN_IF_ERROR(WriteFileAtomic(path, secret + "\n", 0600));
  MLOPS_RETURN_IF_ERROR(ChmodExact(path, 0600, false));
  spdlog::warn("no admin token existed: created admin token '{}'; it is in {} (readable by this "
               "user only)", rec.name, path);
  if (created) *created = true;
  return Status::OK();
}

Status EnforceStatePermissions(const std::string& state_dir) {
  MLOPS_RETURN_IF_ERROR(ChmodExact(state_dir, 0700, false));
  const std::string db = JoinPath(state_dir, "registry.db");
  MLOPS_RETURN_IF_ERROR(ChmodExact(db, 0600, false));
  MLOPS_RETURN_IF_ERROR(ChmodExact(db + "-wal", 0600, true));
  MLOPS_RETURN_IF_ERROR(ChmodExact(db + "-shm", 0600, true));
  return Status::OK();
}

}  // namespace mlops::access
