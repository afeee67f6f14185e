// CsvRecordReader: the records of a delimited text file as fields, with the
// line each field starts on, for error messages. With a one-character
// delimiter it follows RFC 4180: a field may be quoted ("..."), a quote
// inside one is doubled, and a quoted field may span lines. Spaces around an
// unquoted field are dropped. With "whitespace" fields are separated by runs
// of spaces and tabs, without quoting. Blank lines are skipped.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "data/line_reader.h"
#include "mlops/common/status.h"

namespace mlops::ml {

struct CsvField {
  std::string text;
  size_t line = 0;  // 1-based line the field starts on
  bool quoted = false;
};

class CsvRecordReader {
 public:
  // delimiter: "," ";" "\t" or "whitespace" (data_spec.h).
  // REQUIRES: lines is open and outlives the reader.
  CsvRecordReader(LineReader* lines, const std::string& delimiter);

  // The next record's fields; *eof true (and fields empty) at the end.
  // InvalidArgument "PATH:LINE:COLUMN: ..." for an unterminated quoted field
  // or text after a closing quote; LineReader's errors pass through.
  Status Next(std::vector<CsvField>* fields, bool* eof);

  // Line the last record started on; after the end, the last line + 1.
  size_t line() const { return line_; }
  const std::string& path() const { return lines_->path(); }

 private:
  Status SplitQuoted(std::string text, std::vector<CsvField>* fields);
  void SplitWhitespace(const std::string& text, std::vector<CsvField>* fields) const;

  LineReader* lines_;
  char delimiter_;  // '\0' for whitespace
  size_t line_ = 0;
};

}  // namespace mlops::ml
