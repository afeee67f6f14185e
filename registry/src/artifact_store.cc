#include "mlops/registry/artifact_store.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <utility>
#include <vector>

#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "store_rules.h"

namespace mlops::registry {

namespace {

constexpr mode_t kStoredMode = 0444;  // stored content is never edited in place
constexpr mode_t kDirMode = 0700;

// Closes a descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Status WriteAll(int fd, const char* data, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("write " + path, errno);
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return Status::OK();
}

// Creates a unique temporary file in `dir`; *fd is open for writing.
Status MakeTemp(const std::string& dir, std::string* path, int* fd) {
  std::string tmpl = JoinPath(dir, ".tmp-XXXXXX");
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  int f = ::mkostemp(buf.data(), O_CLOEXEC);
  if (f < 0) return Status::FromErrno("cannot create a temporary file in " + dir, errno);
  *path = buf.data();
  *fd = f;
  return Status::OK();
}

// Opens `path` for reading only if it is a regular file, without following
// a symlink and without blocking on a FIFO.
Status OpenRegular(const std::string& path, int* fd, struct stat* st) {
  if (::lstat(path.c_str(), st) != 0) {
    if (errno == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::FromErrno("cannot read " + path, errno);
  }
  if (S_ISLNK(st->st_mode)) {
    return Status::InvalidArgument(path + " is a symlink; artifacts must be regular files");
  }
  if (!S_ISREG(st->st_mode)) return Status::InvalidArgument(path + " is not a regular file");
  int f = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (f < 0) return Status::FromErrno("cannot open " + path, errno);
  if (::fstat(f, st) != 0 || !S_ISREG(st->st_mode)) {
    ::close(f);
    return Status::InvalidArgument(path + " is not a regular file");
  }
  *fd = f;
  return Status::OK();
}

// Hashes what `fd` holds from offset 0 on; if `copy_fd` >= 0, writes it
// there as well.
Status HashFrom(int fd, const std::string& path, char* buf, size_t buf_size, int copy_fd,
                const std::string& copy_path, std::string* digest, int64_t* size) {
  Sha256 hash;
  int64_t total = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf, buf_size, total);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("read " + path, errno);
    }
    if (n == 0) break;
    hash.Update(buf, static_cast<size_t>(n));
    if (copy_fd >= 0) MLOPS_RETURN_IF_ERROR(WriteAll(copy_fd, buf, static_cast<size_t>(n), copy_path));
    total += n;
  }
  *digest = hash.HexDigest();
  *size = total;
  return Status::OK();
}

bool StoredWithSize(const std::string& dest, int64_t size) {
  struct stat existing;
  return ::lstat(dest.c_str(), &existing) == 0 && S_ISREG(existing.st_mode) &&
         existing.st_size == size;
}

// Whether this process may write files whose mode forbids it (root, or
// CAP_DAC_OVERRIDE): then a hard link would let a stage write into the
// store. Unknown counts as yes.
bool MayOverrideFileModes() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return true;
  return (data[0].effective & (1u << CAP_DAC_OVERRIDE)) != 0;
}

}  // namespace

ArtifactStore::ArtifactStore(std::string root, RestoreMode restore) : root_(std::move(root)) {
  switch (restore) {
    case RestoreMode::kAuto: link_restores_ = !MayOverrideFileModes(); break;
    case RestoreMode::kLink: link_restores_ = true; break;
    case RestoreMode::kCopy: link_restores_ = false; break;
  }
}

std::string ArtifactStore::PathFor(const std::string& sha256) const {
  return JoinPath(JoinPath(JoinPath(root_, "sha256"), sha256.substr(0, 2)), sha256);
}

bool ArtifactStore::Contains(const std::string& sha256) const {
  if (!IsSha256Hex(sha256)) return false;
  struct stat st;
  return ::lstat(PathFor(sha256).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Status ArtifactStore::Ingest(const std::string& path, const std::string& media_type,
                             ArtifactRecord* out) {
  int raw_fd = -1;
  struct stat st;
  MLOPS_RETURN_IF_ERROR(OpenRegular(path, &raw_fd, &st));
  Fd in(raw_fd);
  size_t buf_size = 0;
  std::unique_ptr<char[]> buf = HashBuffer(st.st_size, &buf_size);

  // First pass: hash only. Content already stored (the usual case for
  // inputs and for outputs that did not change) ends here, without a file.
  std::string digest;
  int64_t size = 0;
  MLOPS_RETURN_IF_ERROR(HashFrom(in.get(), path, buf.get(), buf_size, -1, "", &digest, &size));

  if (!StoredWithSize(PathFor(digest), size)) {
    // New content: copy it in, hashing again as it is copied, so that the
    // digest names exactly the stored bytes even if the source changed
    // since the first pass.
    std::string tmp_dir = JoinPath(root_, "tmp");
    MLOPS_RETURN_IF_ERROR(MakeDirs(tmp_dir, kDirMode));
    std::string tmp;
    int raw_tmp = -1;
    MLOPS_RETURN_IF_ERROR(MakeTemp(tmp_dir, &tmp, &raw_tmp));
    Fd out_fd(raw_tmp);
    auto fail = [&](Status s) {
      ::unlink(tmp.c_str());
      return s;
    };
    Status hs = HashFrom(in.get(), path, buf.get(), buf_size, out_fd.get(), tmp, &digest, &size);
    if (!hs.ok()) return fail(hs);
    std::string dest = PathFor(digest);
    if (StoredWithSize(dest, size)) {
      ::unlink(tmp.c_str());  // the source changed into content stored already
    } else {
      if (::fchmod(out_fd.get(), kStoredMode) != 0) {
        return fail(Status::FromErrno("chmod " + tmp, errno));
      }
      if (::fsync(out_fd.get()) != 0) return fail(Status::FromErrno("fsync " + tmp, errno));
      if (::close(out_fd.release()) != 0) return fail(Status::FromErrno("close " + tmp, errno));
      std::string dir = DirName(dest);
      bool new_dir = !PathExists(dir);
      Status s = MakeDirs(dir, kDirMode);
      // A new <root>/sha256/ab folder must itself be durable, up to the root.
      if (s.ok() && new_dir) s = SyncDir(DirName(dir));
      if (s.ok() && new_dir) s = SyncDir(root_);
      if (!s.ok()) return fail(s);
      if (::rename(tmp.c_str(), dest.c_str()) != 0) {
        return fail(Status::FromErrno("rename " + tmp + " to " + dest, errno));
      }
      MLOPS_RETURN_IF_ERROR(SyncDir(dir));
    }
  }

  out->sha256 = std::move(digest);
  out->size = size;
  out->media_type = media_type.empty() ? GuessMediaType(path) : media_type;
  out->created_ms = internal::WallMillisNow();
  return Status::OK();
}

Status ArtifactStore::Materialize(const std::string& sha256, const std::string& dest) const {
  if (!IsSha256Hex(sha256)) {
    return Status::InvalidArgument("'" + sha256 + "' is not a SHA-256 digest");
  }
  if (!link_restores_) return CopyOut(sha256, dest);
  const std::string src = PathFor(sha256);
  for (int tries = 0; tries < 2; ++tries) {
    if (::link(src.c_str(), dest.c_str()) == 0) return Status::OK();
    if (errno == ENOENT) {
      // Either the content is not stored or dest's folder does not exist.
      if (!Contains(sha256)) return Status::NotFound("artifact " + sha256 + " is not in the store");
      MLOPS_RETURN_IF_ERROR(MakeDirs(DirName(dest), 0755));
      continue;
    }
    if (errno == EEXIST) {
      // Already this content's link: done (rename() between two links of one
      // file would do nothing and leave the temporary name behind).
      struct stat have, want;
      if (::lstat(dest.c_str(), &have) == 0 && ::stat(src.c_str(), &want) == 0 &&
          have.st_dev == want.st_dev && have.st_ino == want.st_ino) {
        return Status::OK();
      }
      // Replace what is there atomically: link under a unique name, rename.
      static std::atomic<uint64_t> counter{0};
      const std::string dir = DirName(dest);
      for (int i = 0; i < 8; ++i) {
        std::string tmp = JoinPath(dir, ".mlops-link-" + std::to_string(::getpid()) + "-" +
                                            std::to_string(counter.fetch_add(1)));
        if (::link(src.c_str(), tmp.c_str()) != 0) {
          if (errno == EEXIST) continue;
          break;  // EXDEV, EMLINK, ...: copy instead
        }
        if (::rename(tmp.c_str(), dest.c_str()) != 0) {
          Status s = Status::FromErrno("rename " + tmp + " to " + dest, errno);
          ::unlink(tmp.c_str());
          return s;
        }
        return Status::OK();
      }
    }
    break;  // EXDEV (another file system), EMLINK (too many links), EPERM, ...
  }
  return CopyOut(sha256, dest);
}

Status ArtifactStore::CopyOut(const std::string& sha256, const std::string& dest) const {
  std::string src = PathFor(sha256);
  int raw_fd = ::open(src.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (raw_fd < 0) {
    if (errno == ENOENT) return Status::NotFound("artifact " + sha256 + " is not in the store");
    return Status::FromErrno("cannot open " + src, errno);
  }
  Fd in(raw_fd);
  struct stat st;
  if (::fstat(in.get(), &st) != 0) return Status::FromErrno("cannot stat " + src, errno);
  std::string dir = DirName(dest);
  MLOPS_RETURN_IF_ERROR(MakeDirs(dir, 0755));
  std::string tmp;
  int raw_tmp = -1;
  MLOPS_RETURN_IF_ERROR(MakeTemp(dir, &tmp, &raw_tmp));
  Fd out(raw_tmp);
  auto fail = [&](Status s) {
    ::unlink(tmp.c_str());
    return s;
  };
  size_t buf_size = 0;
  std::unique_ptr<char[]> buf = HashBuffer(st.st_size, &buf_size);
  for (;;) {
    ssize_t n = ::read(in.get(), buf.get(), buf_size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(Status::FromErrno("read " + src, errno));
    }
    if (n == 0) break;
    Status s = WriteAll(out.get(), buf.get(), static_cast<size_t>(n), tmp);
    if (!s.ok()) return fail(s);
  }
  // A workspace copy is disposable: rename for atomicity, no fsync.
  if (::fchmod(out.get(), 0644) != 0) return fail(Status::FromErrno("chmod " + tmp, errno));
  if (::close(out.release()) != 0) return fail(Status::FromErrno("close " + tmp, errno));
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    return fail(Status::FromErrno("rename " + tmp + " to " + dest, errno));
  }
  return Status::OK();
}

std::string GuessMediaType(const std::string& name) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".csv", "text/csv"},
      {".tsv", "text/tab-separated-values"},
      {".txt", "text/plain"},
      {".log", "text/plain"},
      {".md", "text/markdown"},
      {".html", "text/html"},
      {".json", "application/json"},
      {".jsonl", "application/x-ndjson"},
      {".yaml", "application/yaml"},
      {".yml", "application/yaml"},
      {".xml", "application/xml"},
      {".parquet", "application/vnd.apache.parquet"},
      {".onnx", "application/onnx"},
      {".npy", "application/x-npy"},
      {".gz", "application/gzip"},
      {".tar", "application/x-tar"},
      {".zip", "application/zip"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
  };
  size_t slash = name.find_last_of('/');
  size_t dot = name.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) {
    return "application/octet-stream";
  }
  std::string ext = name.substr(dot);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& [e, type] : kTypes) {
    if (ext == e) return type;
  }
  return "application/octet-stream";  // .pt, .pkl, .bin and anything unknown
}

}  // namespace mlops::registry
