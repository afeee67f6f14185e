#include "retention/state_fs.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "mlops/common/files.h"

namespace mlops::retention {
namespace {

int64_t MillisOf(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

}  // namespace

Status RealStateFs::List(const std::string& dir, std::vector<FsEntry>* out) {
  out->clear();
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return Status::OK();
    return Status::FromErrno("cannot open folder " + dir, errno);
  }
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    FsEntry entry;
    if (!Stat(JoinPath(dir, e->d_name), &entry).ok()) continue;  // gone meanwhile
    out->push_back(std::move(entry));
  }
  ::closedir(d);
  return Status::OK();
}

Status RealStateFs::Stat(const std::string& path, FsEntry* out) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    return Status::FromErrno("cannot stat " + path, errno);
  }
  const size_t slash = path.find_last_of('/');
  out->name = slash == std::string::npos ? path : path.substr(slash + 1);
  out->is_dir = S_ISDIR(st.st_mode);
  out->mtime_ms = MillisOf(st);
  return Status::OK();
}

int64_t RealStateFs::DiskBytes(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return 0;
  int64_t total = static_cast<int64_t>(st.st_blocks) * 512;
  if (!S_ISDIR(st.st_mode)) return total;
  DIR* d = ::opendir(path.c_str());
  if (!d) return total;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  for (const auto& n : names) total += DiskBytes(JoinPath(path, n));
  return total;
}

Status RealStateFs::Remove(const std::string& path) {
  Status s = RemoveTree(path);
  // Another remover (the scheduler's count of workspaces) may take the
  // same tree at the same time: gone is what was asked for.
  struct stat st;
  if (!s.ok() && ::lstat(path.c_str(), &st) != 0 && errno == ENOENT) return Status::OK();
  return s;
}

}  // namespace mlops::retention
