#include "mlops/common/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <random>
#include <vector>

namespace mlops {
namespace {

Status WriteAll(int fd, const char* data, size_t size, const std::string& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("cannot write " + path, errno);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::OK();
}

std::string TempNameNear(const std::string& path) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, ".tmp.%d.%016llx", static_cast<int>(::getpid()),
                static_cast<unsigned long long>(rng()));
  return path + suffix;
}

}  // namespace

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("cannot open folder " + dir, errno);
  int rc = ::fsync(fd);
  int e = errno;
  ::close(fd);
  if (rc != 0) return Status::FromErrno("cannot fsync folder " + dir, e);
  return Status::OK();
}

Status WriteFileAtomic(const std::string& path, std::string_view data, int mode) {
  std::string tmp = TempNameNear(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Status::FromErrno("cannot create " + tmp, errno);
  Status st = WriteAll(fd, data.data(), data.size(), tmp);
  if (st.ok() && ::fsync(fd) != 0) st = Status::FromErrno("cannot fsync " + tmp, errno);
  ::close(fd);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    st = Status::FromErrno("cannot rename " + tmp + " to " + path, errno);
  }
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return SyncDir(DirName(path));
}

Status ReadFile(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::FromErrno("cannot open " + path, errno);
  }
  out->clear();
  // Heap buffers: these run on HTTP worker threads with small stacks.
  std::vector<char> buf(1 << 16);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return Status::FromErrno("cannot read " + path, e);
    }
    if (n == 0) break;
    out->append(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return Status::OK();
}

Status MakeDirs(const std::string& path, int mode) {
  if (path.empty()) return Status::InvalidArgument("empty folder path");
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    size_t next = path.find('/', pos + 1);
    partial = path.substr(0, next);
    pos = next;
    if (partial.empty() || partial == "/") continue;
    if (::mkdir(partial.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
      return Status::FromErrno("cannot create folder " + partial, errno);
    }
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::IOError(path + " exists and is not a folder");
  }
  return Status::OK();
}

Status RemoveTree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::OK();
    return Status::FromErrno("cannot stat " + path, errno);
  }
  if (S_ISDIR(st.st_mode)) {
    DIR* d = ::opendir(path.c_str());
    if (!d) return Status::FromErrno("cannot open folder " + path, errno);
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      names.emplace_back(e->d_name);
    }
    ::closedir(d);
    for (const auto& n : names) MLOPS_RETURN_IF_ERROR(RemoveTree(JoinPath(path, n)));
    if (::rmdir(path.c_str()) != 0) return Status::FromErrno("cannot remove " + path, errno);
    return Status::OK();
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Status::FromErrno("cannot remove " + path, errno);
  }
  return Status::OK();
}

Status CopyFile(const std::string& from, const std::string& to) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (in < 0) return Status::FromErrno("cannot open " + from, errno);
  struct stat st;
  if (::fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(in);
    return Status::InvalidArgument(from + " is not a regular file");
  }
  std::string tmp = TempNameNear(to);
  int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
  if (out < 0) {
    int e = errno;
    ::close(in);
    return Status::FromErrno("cannot create " + tmp, e);
  }
  Status s;
  std::vector<char> buf(1 << 16);
  for (;;) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      s = Status::FromErrno("cannot read " + from, errno);
      break;
    }
    if (n == 0) break;
    s = WriteAll(out, buf.data(), static_cast<size_t>(n), tmp);
    if (!s.ok()) break;
  }
  if (s.ok() && ::fsync(out) != 0) s = Status::FromErrno("cannot fsync " + tmp, errno);
  ::close(in);
  ::close(out);
  if (s.ok() && ::rename(tmp.c_str(), to.c_str()) != 0) {
    s = Status::FromErrno("cannot rename " + tmp + " to " + to, errno);
  }
  if (!s.ok()) ::unlink(tmp.c_str());
  return s;
}

Status CopyTree(const std::string& from, const std::string& to) {
  struct stat st;
  if (::lstat(from.c_str(), &st) != 0) return Status::FromErrno("cannot stat " + from, errno);
  if (S_ISLNK(st.st_mode)) return Status::InvalidArgument(from + " is a symbolic link");
  if (S_ISREG(st.st_mode)) return CopyFile(from, to);
  if (!S_ISDIR(st.st_mode)) return Status::InvalidArgument(from + " is not a file or folder");
  MLOPS_RETURN_IF_ERROR(MakeDirs(to, 0755));
  DIR* d = ::opendir(from.c_str());
  if (!d) return Status::FromErrno("cannot open folder " + from, errno);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  for (const auto& n : names) MLOPS_RETURN_IF_ERROR(CopyTree(JoinPath(from, n), JoinPath(to, n)));
  return Status::OK();
}

std::string JoinPath(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (!b.empty() && b.front() == '/') return std::string(b);
  std::string out(a);
  if (out.back() != '/') out.push_back('/');
  out.append(b);
  return out;
}

std::string DirName(const std::string& path) {
  size_t pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string ExecutableDir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  buf[n] = '\0';
  return DirName(buf);
}

}  // namespace mlops
