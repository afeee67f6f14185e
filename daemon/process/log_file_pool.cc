#include "process/log_file_pool.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "mlops/common/files.h"

namespace mlops {
namespace {

constexpr char kSparePrefix[] = "spare-";

int OpenForAppend(const std::string& path, int extra_flags, mode_t mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | extra_flags, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

}  // namespace

LogFilePool::LogFilePool(std::string dir, size_t target, mode_t mode)
    : dir_(std::move(dir)), target_(target), mode_(mode) {}

void LogFilePool::AdoptLeftovers() {
  scanned_ = true;
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) return;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.rfind(kSparePrefix, 0) != 0) continue;
    const std::string path = JoinPath(dir_, name);
    struct stat st;
    // Only what this pool would have made: an empty regular file of ours.
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != 0 ||
        st.st_uid != ::geteuid() || st.st_nlink != 1) {
      continue;
    }
    spares_.push_back(path);
  }
  ::closedir(d);
}

bool LogFilePool::WantsRefill() const {
  return !dir_.empty() && !broken_ && spares_.size() < target_;
}

bool LogFilePool::Refill() {
  if (dir_.empty() || broken_) return false;
  if (!scanned_) {
    if (!MakeDirs(dir_, 0700).ok()) {
      broken_ = true;
      return false;
    }
    AdoptLeftovers();
    if (spares_.size() >= target_) return true;
  }
  // A name no earlier daemon left behind: O_EXCL says so.
  for (int tries = 0; tries < 8; ++tries) {
    const std::string path =
        JoinPath(dir_, kSparePrefix + std::to_string(::getpid()) + "-" + std::to_string(next_name_++));
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_);
    if (fd >= 0) {
      ::close(fd);
      spares_.push_back(path);
      return true;
    }
    if (errno != EEXIST && errno != EINTR) break;
  }
  broken_ = true;
  return false;
}

int LogFilePool::OpenLog(const std::string& log_path) {
  if (spares_.empty()) broken_ = cross_device_;  // a failed refill is tried again, once per log
  while (!spares_.empty()) {
    std::string spare = std::move(spares_.back());
    spares_.pop_back();
    if (::renameat2(AT_FDCWD, spare.c_str(), AT_FDCWD, log_path.c_str(), RENAME_NOREPLACE) == 0) {
      int fd = OpenForAppend(log_path, 0, 0);
      if (fd >= 0) ++taken_;
      return fd;
    }
    const int err = errno;
    if (err == EEXIST) {
      // An existing log is appended to; the spare stays for the next one.
      spares_.push_back(std::move(spare));
      break;
    }
    if (err == EXDEV || err == EINVAL || err == ENOSYS) {
      // Logs on another file system than the pool (or no renameat2): the
      // spares can never be used.
      ::unlink(spare.c_str());
      for (const std::string& s : spares_) ::unlink(s.c_str());
      spares_.clear();
      cross_device_ = broken_ = true;
      break;
    }
    struct stat st;
    if (::lstat(spare.c_str(), &st) == 0) {
      // The spare is fine; the log's folder is not (missing, say).
      spares_.push_back(std::move(spare));
      break;
    }
    // The spare was removed behind our back: try the next one.
  }
  return OpenForAppend(log_path, O_CREAT, mode_);
}

}  // namespace mlops
