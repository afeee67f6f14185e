#include "log/segment_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <filesystem>

#include "mlops/common/files.h"

namespace mlops::serving {

Status PosixSegmentFiles::MakeDirs(const std::string& dir) { return mlops::MakeDirs(dir, 0750); }

Status PosixSegmentFiles::Append(const std::string& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return Status::FromErrno("open " + path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status s = Status::FromErrno("stat " + path, errno);
    ::close(fd);
    return s;
  }
  size_t done = 0;
  int err = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : ENOSPC;
      break;
    }
    done += static_cast<size_t>(n);
  }
  // Should the cut fail too, the file ends in a torn line: readers skip
  // it, and the writer starts a new segment after any failure.
  if (err != 0 && done > 0) (void)!::ftruncate(fd, st.st_size);
  ::close(fd);
  if (err != 0) return Status::FromErrno("append to " + path, err);
  return Status::OK();
}

Status PosixSegmentFiles::Remove(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return Status::FromErrno("remove " + path, errno);
  return Status::OK();
}

Status PosixSegmentFiles::List(const std::string& dir, std::vector<Entry>* out) {
  out->clear();
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec == std::errc::no_such_file_or_directory) return Status::OK();
  if (ec) return Status::IOError("list " + dir + ": " + ec.message());
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    struct stat st;
    const std::string path = it->path().string();
    // A file removed meanwhile is left out; links and devices are not ours.
    if (::lstat(path.c_str(), &st) != 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) continue;
    out->push_back(Entry{it->path().filename().string(), S_ISDIR(st.st_mode),
                         static_cast<int64_t>(st.st_size),
                         static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 +
                             st.st_mtim.tv_nsec / 1'000'000});
  }
  if (ec) return Status::IOError("list " + dir + ": " + ec.message());
  return Status::OK();
}

bool ParseSegmentName(const std::string& name, int64_t* started_ms, int64_t* seq) {
  const std::string_view suffix = ".jsonl";
  if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  const char* p = name.data();
  const char* end = name.data() + name.size() - suffix.size();
  auto r = std::from_chars(p, end, *started_ms);
  if (r.ec != std::errc() || r.ptr == end || *r.ptr != '-' || *started_ms < 0) return false;
  auto r2 = std::from_chars(r.ptr + 1, end, *seq);
  return r2.ec == std::errc() && r2.ptr == end && r2.ptr != r.ptr + 1 && *seq >= 0;
}

std::string SegmentName(int64_t started_ms, int64_t seq) {
  return std::to_string(started_ms) + "-" + std::to_string(seq) + ".jsonl";
}

bool IsLoggableModelName(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
  }
  return true;
}

}  // namespace mlops::serving
