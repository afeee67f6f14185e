#include "scheduler/local_workspace.h"

#include <cstdlib>

#include <algorithm>

#include <dirent.h>

#include <sys/stat.h>

#include <cerrno>

#include "mlops/common/files.h"
#include "mlops/common/sha256.h"

namespace mlops::scheduler {

namespace {

std::string RunFolder(int64_t run_id) { return "run-" + std::to_string(run_id); }

int64_t Nanos(const struct timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

int64_t NowNanos() {
  struct timespec t;
  ::clock_gettime(CLOCK_REALTIME, &t);
  return Nanos(t);
}

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
         Nanos(a.st_mtim) == Nanos(b.st_mtim) && Nanos(a.st_ctim) == Nanos(b.st_ctim);
}

// lstat, with the messages Ingest gives: NotFound when missing; a symlink
// or anything but a regular file is refused.
Status StatRegular(const std::string& path, struct stat* st) {
  if (::lstat(path.c_str(), st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::NotFound(path + ": no such file");
    return Status::FromErrno("cannot read " + path, errno);
  }
  if (S_ISLNK(st->st_mode)) {
    return Status::InvalidArgument(path + " is a symlink; artifacts must be regular files");
  }
  if (!S_ISREG(st->st_mode)) return Status::InvalidArgument(path + " is not a regular file");
  return Status::OK();
}

}  // namespace

LocalWorkspace::LocalWorkspace(std::string state_dir, registry::ArtifactStore* artifacts,
                               std::chrono::milliseconds racy_window)
    : state_dir_(std::move(state_dir)), artifacts_(artifacts), racy_window_(racy_window) {
  DIR* d = ::opendir(JoinPath(state_dir_, "workspaces").c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n.rfind("run-", 0) != 0) continue;
    char* end = nullptr;
    const long long id = std::strtoll(n.c_str() + 4, &end, 10);
    if (end != n.c_str() + 4 && *end == '\0') ended_.push_back(id);
  }
  ::closedir(d);
  std::sort(ended_.begin(), ended_.end());
}

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
  EnsureRunFolders(run_id);
  *dir = path;
  return Status::OK();
}

void LocalWorkspace::EnsureRunFolders(int64_t run_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (run_folders_.count(run_id)) return;
  }
  const std::string run = RunFolder(run_id);
  bool ok = MakeDirs(JoinPath(JoinPath(state_dir_, "logs"), run), 0755).ok();
  ok = MakeDirs(JoinPath(JoinPath(state_dir_, "scratch"), run), 0755).ok() && ok;
  if (!ok) return;  // tried again next time; the runner reports what fails
  std::lock_guard<std::mutex> lock(mu_);
  run_folders_.insert(run_id);
}

std::string LocalWorkspace::LogPath(int64_t run_id, const std::string& stage, int attempt) {
  EnsureRunFolders(run_id);
  return JoinPath(JoinPath(JoinPath(state_dir_, "logs"), RunFolder(run_id)),
                  stage + "." + std::to_string(attempt) + ".log");
}

std::string LocalWorkspace::ScratchDir(int64_t run_id, const std::string& stage) {
  EnsureRunFolders(run_id);
  // Not made here: the stage host makes it when the plugin first asks.
  return JoinPath(JoinPath(JoinPath(state_dir_, "scratch"), RunFolder(run_id)), stage);
}

bool LocalWorkspace::Cached(const std::string& path, const struct stat& st, std::string* sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = stats_.find(path);
  if (it == stats_.end()) return false;
  const StatEntry& e = it->second;
  if (e.dev != st.st_dev || e.ino != st.st_ino || e.size != st.st_size ||
      e.mtime_ns != Nanos(st.st_mtim) || e.ctime_ns != Nanos(st.st_ctim)) {
    stats_.erase(it);
    return false;
  }
  *sha256 = e.sha256;
  ++cache_hits_;
  return true;
}

void LocalWorkspace::Remember(const std::string& path, const struct stat& st,
                              const std::string& sha256) {
  const int64_t changed = std::max(Nanos(st.st_mtim), Nanos(st.st_ctim));
  const bool racy =
      changed >= NowNanos() - std::chrono::nanoseconds(racy_window_).count();
  std::lock_guard<std::mutex> lock(mu_);
  if (racy) return;
  if (stats_.size() >= kMaxCachedFiles) stats_.clear();
  stats_[path] = StatEntry{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                           static_cast<int64_t>(st.st_size), Nanos(st.st_mtim),
                           Nanos(st.st_ctim), sha256};
}

Status LocalWorkspace::Ingest(const std::string& path, registry::ArtifactRecord* out) {
  struct stat before;
  MLOPS_RETURN_IF_ERROR(StatRegular(path, &before));
  std::string sha;
  if (Cached(path, before, &sha) && artifacts_->Contains(sha)) {
    out->sha256 = std::move(sha);
    out->size = static_cast<int64_t>(before.st_size);
    out->media_type = registry::GuessMediaType(path);
    out->created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
    return Status::OK();
  }
  MLOPS_RETURN_IF_ERROR(artifacts_->Ingest(path, "", out));
  CountRead();
  // Remember only what was read from an unchanging file.
  struct stat after;
  if (::lstat(path.c_str(), &after) == 0 && SameFile(before, after) &&
      out->size == static_cast<int64_t>(after.st_size)) {
    Remember(path, after, out->sha256);
  }
  return Status::OK();
}

Status LocalWorkspace::Digest(const std::string& path, std::string* sha256) {
  struct stat before;
  MLOPS_RETURN_IF_ERROR(StatRegular(path, &before));
  if (Cached(path, before, sha256)) return Status::OK();
  uint64_t size = 0;
  MLOPS_RETURN_IF_ERROR(Sha256File(path, sha256, &size));
  CountRead();
  struct stat after;
  if (::lstat(path.c_str(), &after) == 0 && SameFile(before, after) &&
      size == static_cast<uint64_t>(after.st_size)) {
    Remember(path, after, *sha256);
  }
  return Status::OK();
}

void LocalWorkspace::CountRead() {
  std::lock_guard<std::mutex> lock(mu_);
  ++files_read_;
}

bool LocalWorkspace::Has(const std::string& sha256) { return artifacts_->Contains(sha256); }

Status LocalWorkspace::Restore(const std::string& sha256, const std::string& dest) {
  return artifacts_->Materialize(sha256, dest);
}

int LocalWorkspace::files_read() const {
  std::lock_guard<std::mutex> lock(mu_);
  return files_read_;
}

int LocalWorkspace::stat_cache_hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cache_hits_;
}

void LocalWorkspace::Retire(int64_t run_id, size_t keep) {
  std::vector<int64_t> remove;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ended_.push_back(run_id);
    run_folders_.erase(run_id);
    while (ended_.size() > keep) {
      remove.push_back(ended_.front());
      ended_.pop_front();
    }
  }
  const std::string root = JoinPath(state_dir_, "workspaces");
  for (int64_t id : remove) (void)RemoveTree(JoinPath(root, RunFolder(id)));
}

}  // namespace mlops::scheduler
