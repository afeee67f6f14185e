// Hashing and checking an artifact folder against signed subjects. Files are
// opened component by component with O_NOFOLLOW under the folder's own
// descriptor, so neither a symlink nor a rename race can make a subject
// resolve outside the folder; symlinks are refused outright, even when their
// target would match.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

#include "mlops/common/sha256.h"
#include "mlops/signing/signing.h"

namespace mlops::signing {
namespace {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

Status HashFd(int fd, const std::string& what, std::string* hex) {
  std::vector<char> buf(1 << 20);
  Sha256 h;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno("cannot read " + what, errno);
    if (n == 0) break;
    h.Update(buf.data(), static_cast<size_t>(n));
  }
  *hex = h.HexDigest();
  return Status::OK();
}

// Walks `dir_fd`; regular files go to *files as "prefix/name".
Status Walk(int dir_fd, const std::string& prefix, const std::string& root,
            const std::set<std::string>& ignore, std::vector<std::string>* files, int depth) {
  if (depth > 64) return Status::InvalidArgument("folder nesting deeper than 64 under " + root);
  int dup_fd = ::dup(dir_fd);
  if (dup_fd < 0) return Status::FromErrno("cannot read folder " + root, errno);
  DIR* d = ::fdopendir(dup_fd);
  if (d == nullptr) {
    ::close(dup_fd);
    return Status::FromErrno("cannot read folder " + root + "/" + prefix, errno);
  }
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    std::string rel = prefix.empty() ? n : prefix + "/" + n;
    if (ignore.count(rel) != 0) continue;
    struct stat st;
    if (::fstatat(dir_fd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return Status::FromErrno("cannot stat " + root + "/" + rel, errno);
    }
    if (S_ISLNK(st.st_mode)) {
      return Status::PermissionDenied("'" + rel + "' is a symlink; signed artifacts may hold "
                                      "only regular files");
    }
    if (S_ISDIR(st.st_mode)) {
      Fd sub(::openat(dir_fd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub.get() < 0) return Status::FromErrno("cannot open folder " + root + "/" + rel, errno);
      MLOPS_RETURN_IF_ERROR(Walk(sub.get(), rel, root, ignore, files, depth + 1));
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      return Status::PermissionDenied("'" + rel + "' is not a regular file");
    }
    files->push_back(rel);
  }
  return Status::OK();
}

// Opens `rel` (already a clean name) under dir_fd without following any
// symlink on the way, and hashes it.
Status HashUnder(int dir_fd, const std::string& rel, std::string* hex) {
  Fd cur(::dup(dir_fd));
  size_t start = 0;
  for (;;) {
    size_t slash = rel.find('/', start);
    std::string part = rel.substr(start, slash == std::string::npos ? std::string::npos
                                                                     : slash - start);
    bool last = slash == std::string::npos;
    int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (last ? O_NONBLOCK : O_DIRECTORY);
    int fd = ::openat(cur.get(), part.c_str(), flags);
    if (fd < 0) {
      int e = errno;
      std::string upto = rel.substr(0, last ? rel.size() : slash);
      if (e == ENOENT) return Status::NotFound("'" + rel + "' is listed in the signature but missing");
      if (e == ELOOP || e == ENOTDIR) {
        return Status::PermissionDenied("'" + upto + "' is a symlink or not a folder; '" + rel +
                                        "' would resolve outside the artifact folder");
      }
      return Status::FromErrno("cannot open '" + rel + "'", e);
    }
    if (last) {
      Fd file(fd);
      struct stat st;
      if (::fstat(file.get(), &st) != 0) return Status::FromErrno("cannot stat '" + rel + "'", errno);
      if (!S_ISREG(st.st_mode)) return Status::PermissionDenied("'" + rel + "' is not a regular file");
      return HashFd(file.get(), "'" + rel + "'", hex);
    }
    cur.reset(fd);
    start = slash + 1;
  }
}

Status OpenRoot(const std::string& dir, Fd* out) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("cannot open artifact folder " + dir, errno);
  out->reset(fd);
  return Status::OK();
}

}  // namespace

Status CollectSubjects(const std::string& dir, const std::vector<std::string>& ignore,
                       std::vector<Subject>* out) {
  Fd root;
  MLOPS_RETURN_IF_ERROR(OpenRoot(dir, &root));
  std::vector<std::string> files;
  MLOPS_RETURN_IF_ERROR(
      Walk(root.get(), "", dir, std::set<std::string>(ignore.begin(), ignore.end()), &files, 0));
  out->clear();
  for (const std::string& f : files) {
    Subject s;
    s.name = f;
    MLOPS_RETURN_IF_ERROR(CheckSubjectName(f));
    MLOPS_RETURN_IF_ERROR(HashUnder(root.get(), f, &s.sha256));
    out->push_back(std::move(s));
  }
  return Status::OK();
}

Status VerifyDirectory(const std::string& dir, const VerifiedStatement& statement,
                       const std::vector<std::string>& ignore) {
  Fd root;
  MLOPS_RETURN_IF_ERROR(OpenRoot(dir, &root));
  std::vector<std::string> files;
  MLOPS_RETURN_IF_ERROR(
      Walk(root.get(), "", dir, std::set<std::string>(ignore.begin(), ignore.end()), &files, 0));
  std::set<std::string> present(files.begin(), files.end());
  std::set<std::string> signed_names;
  std::vector<std::string> missing;
  for (const Subject& s : statement.subjects) {
    MLOPS_RETURN_IF_ERROR(CheckSubjectName(s.name));  // VerifiedStatement may be hand-made
    signed_names.insert(s.name);
    if (present.count(s.name) == 0) missing.push_back(s.name);
  }
  std::vector<std::string> added;
  for (const std::string& f : files) {
    if (signed_names.count(f) == 0) added.push_back(f);
  }
  if (!missing.empty() && !added.empty()) {
    return Status::PermissionDenied("'" + missing[0] + "' is listed in the signature but missing, "
                                    "and '" + added[0] + "' is not in the signature (renamed?)");
  }
  if (!added.empty()) {
    return Status::PermissionDenied("'" + added[0] + "' is not in the signature (added file)");
  }
  for (const Subject& s : statement.subjects) {
    std::string hex;
    Status st = HashUnder(root.get(), s.name, &hex);
    if (!st.ok()) {
      if (st.IsNotFound()) return Status::PermissionDenied(st.message() + " (removed file)");
      return st;
    }
    if (hex != s.sha256) {
      return Status::PermissionDenied("'" + s.name + "' does not match the signature: sha256 " +
                                      hex + ", signed " + s.sha256);
    }
  }
  return Status::OK();
}

}  // namespace mlops::signing
