#include "data/line_reader.h"

#include <sys/stat.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace mlops::ml {
namespace {

constexpr unsigned kChunk = 1 << 16;

}  // namespace

std::string Where(const std::string& path, size_t line, size_t column) {
  return path + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
}

LineReader::~LineReader() {
  if (file_ != nullptr) gzclose(file_);
}

Status LineReader::Open(const std::string& path) {
  path_ = path;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return Status::NotFound(Where(path, 1, 1) + "no such file, expected a .csv or .csv.gz file");
    }
    return Status::IOError(Where(path, 1, 1) + "cannot read: " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode))
    return Status::IOError(Where(path, 1, 1) + "not a regular file, expected a .csv or .csv.gz file");
  file_ = gzopen(path.c_str(), "rb");
  if (file_ == nullptr) {
    const int err = errno;
    return Status::IOError(Where(path, 1, 1) + "cannot open: " + std::strerror(err != 0 ? err : EIO));
  }
  gzbuffer(file_, kChunk);
  return Status::OK();
}

Status LineReader::Fill(bool* more) {
  buf_.erase(0, pos_);
  pos_ = 0;
  const size_t old = buf_.size();
  buf_.resize(old + kChunk);
  const int n = gzread(file_, buf_.data() + old, kChunk);
  int code = Z_OK;
  const char* msg = n > 0 ? nullptr : gzerror(file_, &code);
  // zlib reports a truncated stream (Z_BUF_ERROR) as the end of the data,
  // with the error left in gzerror.
  if (n < 0 || code != Z_OK) {
    buf_.resize(old);
    if (code == Z_ERRNO)
      return Status::IOError(Where(path_, line_number_ + 1, 1) + "cannot read: " + std::strerror(errno));
    // zlib's message starts with the path.
    std::string reason = msg != nullptr ? msg : "unknown error";
    if (reason.rfind(path_ + ": ", 0) == 0) reason.erase(0, path_.size() + 2);
    return Status::IOError(Where(path_, line_number_ + 1, 1) + "corrupt gzip data (" + reason +
                           "), expected a complete gzip stream");
  }
  buf_.resize(old + static_cast<size_t>(n));
  *more = n > 0;
  return Status::OK();
}

Status LineReader::Next(std::string* line, bool* eof) {
  line->clear();
  *eof = false;
  size_t scanned = pos_;
  for (;;) {
    const size_t nl = buf_.find('\n', scanned);
    if (nl != std::string::npos) {
      line->assign(buf_, pos_, nl - pos_);
      pos_ = nl + 1;
      break;
    }
    scanned = buf_.size();
    bool more = false;
    if (!at_end_) {
      const size_t consumed = pos_;
      MLOPS_RETURN_IF_ERROR(Fill(&more));
      scanned -= consumed;
      at_end_ = !more;
    }
    if (!more) {
      if (pos_ == buf_.size()) {
        *eof = true;
        return Status::OK();
      }
      line->assign(buf_, pos_, std::string::npos);
      pos_ = buf_.size();
      break;
    }
  }
  if (!line->empty() && line->back() == '\r') line->pop_back();
  if (line_number_ == 0 && line->compare(0, 3, "\xEF\xBB\xBF") == 0) line->erase(0, 3);
  ++line_number_;
  return Status::OK();
}

}  // namespace mlops::ml
