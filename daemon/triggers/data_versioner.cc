#include "triggers/data_versioner.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <unordered_set>
#include <utility>

#include "mlops/common/sha256.h"
#include "triggers/stat_cache_file.h"

namespace mlops::triggers {

using internal::StatCacheState;
using internal::StatEntry;

namespace {

constexpr std::string_view kTreeHeader = "mlops-tree-v1\n";

int64_t Nanos(const timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t RealtimeNanos() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return Nanos(ts);
}

std::chrono::nanoseconds DefaultRacyWindow() {
  timespec res{};
  if (clock_getres(CLOCK_REALTIME_COARSE, &res) != 0) return std::chrono::milliseconds(20);
  return std::chrono::nanoseconds(2 * Nanos(res));
}

bool SameStat(const StatEntry& e, const struct stat& st) {
  return e.dev == st.st_dev && e.ino == st.st_ino && e.size == st.st_size &&
         e.mtime_ns == Nanos(st.st_mtim) && e.ctime_ns == Nanos(st.st_ctim);
}

std::string Join(const std::string& dir, const std::string& name) {
  return dir.ends_with('/') ? dir + name : dir + "/" + name;
}

// RAII for a file descriptor.
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

}  // namespace

Status Sha256FileDigester::Digest(int fd, const std::string& path, std::string* sha256,
                                  uint64_t* size) {
  constexpr size_t kChunk = 1 << 20;  // large reads keep EVP on its fast path
  std::unique_ptr<unsigned char[]> buf(new unsigned char[kChunk]);
  Sha256 h;
  uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf.get(), kChunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("cannot read " + path, errno);
    }
    if (n == 0) break;
    h.Update(buf.get(), static_cast<size_t>(n));
    total += static_cast<uint64_t>(n);
  }
  *sha256 = h.HexDigest();
  *size = total;
  return Status::OK();
}

struct DataVersioner::State {
  StatCacheState cache;
  std::unordered_set<std::string> seen;  // files met by the current scan
  bool dirty = false;
  FileDigester* digester = nullptr;
  std::unique_ptr<FileDigester> own_digester;
  int64_t racy_window_ns = 0;

  // One scan of one watched path.
  struct Tally {
    uint64_t size = 0;
    uint64_t files = 0;
    uint64_t read = 0;
  };

  // Digest of the regular file `name` in folder `dir_fd` (AT_FDCWD with an
  // absolute name for a watched file), whose lstat is `st`.
  Status File(int dir_fd, const char* name, const std::string& path, const struct stat& st,
              std::string* sha256, Tally* tally);
  // Appends (relative path, digest) for every regular file below `path`.
  Status Tree(int dir_fd, const std::string& path, const std::string& rel,
              std::vector<std::pair<std::string, std::string>>* files, Tally* tally);
};

Status DataVersioner::State::File(int dir_fd, const char* name, const std::string& path,
                                  const struct stat& st, std::string* sha256, Tally* tally) {
  seen.insert(path);
  ++tally->files;
  auto cached = cache.files.find(path);
  if (cached != cache.files.end() && cached->second.trusted && SameStat(cached->second, st)) {
    tally->size += static_cast<uint64_t>(st.st_size);
    *sha256 = cached->second.sha256;
    return Status::OK();
  }
  // O_NONBLOCK: if the name was swapped for a FIFO since it was listed,
  // opening must not wait for a writer. O_NOFOLLOW: nor for a link.
  Fd fd(::openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) return Status::FromErrno("cannot open " + path, errno);
  // A file written while it is read is read again, a few times at most.
  for (int tries = 0;; ++tries) {
    struct stat before {};
    if (::fstat(fd.get(), &before) != 0) return Status::FromErrno("cannot stat " + path, errno);
    if (!S_ISREG(before.st_mode)) {
      return Status::InvalidArgument(path + " is not a regular file (it changed during the scan)");
    }
    if (::lseek(fd.get(), 0, SEEK_SET) != 0) return Status::FromErrno("cannot seek " + path, errno);
    int64_t read_start = RealtimeNanos();
    std::string digest;
    uint64_t size = 0;
    MLOPS_RETURN_IF_ERROR(digester->Digest(fd.get(), path, &digest, &size));
    ++tally->read;
    struct stat after {};
    if (::fstat(fd.get(), &after) != 0) return Status::FromErrno("cannot stat " + path, errno);
    StatEntry e;
    e.dev = after.st_dev;
    e.ino = after.st_ino;
    e.size = after.st_size;
    e.mtime_ns = Nanos(after.st_mtim);
    e.ctime_ns = Nanos(after.st_ctim);
    if (!SameStat(e, before) || static_cast<int64_t>(size) != e.size) {
      if (tries < 3) continue;
      return Status::Unavailable(path + " keeps changing while it is read; trying again next scan");
    }
    // ctime, not mtime: every change moves it to the current time, and no
    // user can set it (an mtime may be anything, even in the future).
    e.trusted = read_start >= e.ctime_ns + racy_window_ns;
    e.sha256 = digest;
    tally->size += static_cast<uint64_t>(e.size);
    *sha256 = digest;
    cache.files[path] = std::move(e);
    dirty = true;
    return Status::OK();
  }
}

Status DataVersioner::State::Tree(int dir_fd, const std::string& path, const std::string& rel,
                                  std::vector<std::pair<std::string, std::string>>* files,
                                  Tally* tally) {
  DIR* dir = ::fdopendir(dir_fd);
  if (dir == nullptr) {
    int e = errno;
    ::close(dir_fd);
    return Status::FromErrno("cannot list " + path, e);
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* d = ::readdir(dir)) {
    std::string_view n = d->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  int list_errno = errno;
  Status st;
  if (list_errno != 0) st = Status::FromErrno("cannot list " + path, list_errno);
  for (size_t i = 0; st.ok() && i < names.size(); ++i) {
    const std::string& name = names[i];
    std::string child = Join(path, name);
    std::string child_rel = rel.empty() ? name : rel + "/" + name;
    struct stat cst {};
    if (::fstatat(::dirfd(dir), name.c_str(), &cst, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;  // removed since it was listed
      st = Status::FromErrno("cannot stat " + child, errno);
    } else if (S_ISDIR(cst.st_mode)) {
      int fd = ::openat(::dirfd(dir), name.c_str(),
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) {
        st = Status::FromErrno("cannot open folder " + child, errno);
      } else {
        st = Tree(fd, child, child_rel, files, tally);
      }
    } else if (S_ISREG(cst.st_mode)) {
      std::string digest;
      st = File(::dirfd(dir), name.c_str(), child, cst, &digest, tally);
      if (st.ok()) files->emplace_back(child_rel, std::move(digest));
    } else if (S_ISLNK(cst.st_mode)) {
      st = Status::InvalidArgument(
          "symbolic link inside a watched folder: " + child +
          " (refused: data versions hash contents, and a link's target is outside the tree)");
    } else {
      st = Status::InvalidArgument("not a regular file or folder inside a watched folder: " +
                                   child);
    }
  }
  ::closedir(dir);
  return st;
}

DataVersioner::DataVersioner(Options options)
    : options_(std::move(options)), state_(std::make_unique<State>()) {}

DataVersioner::~DataVersioner() = default;

Status DataVersioner::Open(Options options, std::unique_ptr<DataVersioner>* out) {
  if (options.paths.empty()) return Status::InvalidArgument("no data paths to watch");
  for (const std::string& p : options.paths) {
    if (p.empty() || p[0] != '/') {
      return Status::InvalidArgument("watched data path '" + p + "' is not absolute");
    }
  }
  std::unique_ptr<DataVersioner> v(new DataVersioner(std::move(options)));
  State& s = *v->state_;
  if (v->options_.digester != nullptr) {
    s.digester = v->options_.digester;
  } else {
    s.own_digester = std::make_unique<Sha256FileDigester>();
    s.digester = s.own_digester.get();
  }
  auto window = v->options_.racy_window.count() < 0 ? DefaultRacyWindow() : v->options_.racy_window;
  s.racy_window_ns = window.count();
  if (v->options_.state_file.empty()) {
    v->state_load_status_ = Status::NotFound("no state file configured");
  } else {
    v->state_load_status_ = internal::LoadStatCache(v->options_.state_file, &s.cache);
    // A cache that cannot be used only costs one full read: start empty
    // and let the next save replace it.
    if (!v->state_load_status_.ok()) s.dirty = !v->state_load_status_.IsNotFound();
  }
  *out = std::move(v);
  return Status::OK();
}

Status DataVersioner::Scan(std::vector<DataScanResult>* results) {
  std::lock_guard lock(mu_);
  State& s = *state_;
  results->clear();
  s.seen.clear();
  for (const std::string& watched : options_.paths) {
    DataScanResult r;
    r.path = watched;
    State::Tally tally;
    // The watched path itself may be a link: resolve it once, then refuse
    // links below it.
    char resolved_buf[PATH_MAX];
    struct stat st {};
    if (::realpath(watched.c_str(), resolved_buf) == nullptr) {
      r.status = errno == ENOENT ? Status::NotFound(watched + ": no such file or folder")
                                 : Status::FromErrno("cannot resolve " + watched, errno);
    } else if (::lstat(resolved_buf, &st) != 0) {
      r.status = Status::FromErrno("cannot stat " + watched, errno);
    } else if (S_ISREG(st.st_mode)) {
      r.status = s.File(AT_FDCWD, resolved_buf, resolved_buf, st, &r.sha256, &tally);
    } else if (S_ISDIR(st.st_mode)) {
      std::vector<std::pair<std::string, std::string>> files;
      int fd = ::open(resolved_buf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      r.status = fd < 0 ? Status::FromErrno("cannot open folder " + watched, errno)
                        : s.Tree(fd, resolved_buf, "", &files, &tally);
      if (r.status.ok()) {
        std::sort(files.begin(), files.end());
        Sha256 h;
        h.Update(kTreeHeader);
        for (const auto& [rel, digest] : files) {
          h.Update(rel.data(), rel.size() + 1);  // with its NUL
          h.Update(digest);
          h.Update("\n");
        }
        r.sha256 = h.HexDigest();
      }
    } else {
      r.status = Status::InvalidArgument(watched + " is not a regular file or folder");
    }
    r.size = tally.size;
    r.files = tally.files;
    r.files_read = tally.read;
    if (!r.status.ok()) {
      r.sha256.clear();
    } else {
      std::string& last = s.cache.watched[watched];
      r.changed = last != r.sha256;
      if (r.changed) {
        last = r.sha256;
        s.dirty = true;
      }
    }
    results->push_back(std::move(r));
  }
  // Forget files no scan met any more, except below a path that failed this
  // time (its files were not all visited).
  std::vector<std::string> failed;
  for (const DataScanResult& r : *results) {
    if (!r.status.ok()) failed.push_back(r.path);
  }
  for (auto it = s.cache.files.begin(); it != s.cache.files.end();) {
    bool keep = s.seen.count(it->first) != 0 || !failed.empty();
    if (keep) {
      ++it;
    } else {
      it = s.cache.files.erase(it);
      s.dirty = true;
    }
  }
  for (auto it = s.cache.watched.begin(); it != s.cache.watched.end();) {
    if (std::find(options_.paths.begin(), options_.paths.end(), it->first) !=
        options_.paths.end()) {
      ++it;
    } else {
      it = s.cache.watched.erase(it);
      s.dirty = true;
    }
  }
  if (!s.dirty || options_.state_file.empty()) return Status::OK();
  Status st = internal::SaveStatCache(options_.state_file, s.cache);
  if (st.ok()) s.dirty = false;
  return st;
}

}  // namespace mlops::triggers
