// LineReader: the lines of a text file, plain or gzip-compressed (zlib reads
// both; a file without the gzip magic is read as is). Not thread-safe.
#pragma once

#include <cstddef>
#include <string>

#include "mlops/common/status.h"

struct gzFile_s;

namespace mlops::ml {

class LineReader {
 public:
  LineReader() = default;
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // NotFound "PATH:1:1: no such file, ..." when path does not exist;
  // IOError when it is not a regular file or cannot be opened.
  Status Open(const std::string& path);

  // The next line without its "\n" or "\r\n" (a UTF-8 byte order mark at the
  // start of the file is dropped). At the end of the file *eof is true and
  // *line empty. IOError "PATH:LINE:1: corrupt gzip data (...)" when the
  // compressed stream is damaged or truncated.
  // REQUIRES: Open succeeded.
  Status Next(std::string* line, bool* eof);

  // 1-based number of the line Next returned last (0 before the first).
  size_t line_number() const { return line_number_; }
  const std::string& path() const { return path_; }

 private:
  // Refills buf_ from the file; false at the end of the file.
  Status Fill(bool* more);

  gzFile_s* file_ = nullptr;
  std::string path_;
  std::string buf_;
  size_t pos_ = 0;
  size_t line_number_ = 0;
  bool at_end_ = false;
};

// "PATH:LINE:COLUMN: " — the prefix of every data error.
std::string Where(const std::string& path, size_t line, size_t column);

}  // namespace mlops::ml
