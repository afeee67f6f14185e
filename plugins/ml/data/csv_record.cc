#include "data/csv_record.h"

#include <algorithm>

namespace mlops::ml {
namespace {

bool IsBlank(const std::string& s) { return s.find_first_not_of(" \t") == std::string::npos; }

}  // namespace

CsvRecordReader::CsvRecordReader(LineReader* lines, const std::string& delimiter)
    : lines_(lines), delimiter_(delimiter == "whitespace" ? '\0' : delimiter[0]) {}

Status CsvRecordReader::Next(std::vector<CsvField>* fields, bool* eof) {
  fields->clear();
  std::string text;
  for (;;) {
    MLOPS_RETURN_IF_ERROR(lines_->Next(&text, eof));
    if (*eof) {
      line_ = lines_->line_number() + 1;
      return Status::OK();
    }
    if (!IsBlank(text)) break;
  }
  line_ = lines_->line_number();
  if (delimiter_ == '\0') {
    SplitWhitespace(text, fields);
    return Status::OK();
  }
  return SplitQuoted(std::move(text), fields);
}

void CsvRecordReader::SplitWhitespace(const std::string& text, std::vector<CsvField>* fields) const {
  size_t i = 0;
  for (;;) {
    i = text.find_first_not_of(" \t", i);
    if (i == std::string::npos) return;
    size_t end = text.find_first_of(" \t", i);
    if (end == std::string::npos) end = text.size();
    fields->push_back({text.substr(i, end - i), line_, false});
    i = end;
  }
}

Status CsvRecordReader::SplitQuoted(std::string text, std::vector<CsvField>* fields) {
  const char d = delimiter_;
  auto is_space = [d](char c) { return c == ' ' || (c == '\t' && d != '\t'); };
  size_t line = line_;
  size_t i = 0;
  for (;;) {
    CsvField field;
    field.line = line;
    while (i < text.size() && is_space(text[i])) ++i;
    if (i < text.size() && text[i] == '"') {
      field.quoted = true;
      ++i;
      for (;;) {
        if (i == text.size()) {
          // The field goes on in the next line.
          bool eof = false;
          std::string next;
          MLOPS_RETURN_IF_ERROR(lines_->Next(&next, &eof));
          if (eof) {
            return Status::InvalidArgument(
                Where(path(), field.line, fields->size() + 1) +
                "quoted field has no closing quote, expected '\"' before the end of the file");
          }
          field.text += '\n';
          text = std::move(next);
          line = lines_->line_number();
          i = 0;
          continue;
        }
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field.text += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.text += text[i++];
      }
      while (i < text.size() && is_space(text[i])) ++i;
      if (i < text.size() && text[i] != d) {
        return Status::InvalidArgument(Where(path(), line, fields->size() + 1) +
                                       "text after the closing quote, expected '" + std::string(1, d) +
                                       "' or the end of the line");
      }
    } else {
      const size_t end = std::min(text.find(d, i), text.size());
      size_t last = end;
      while (last > i && is_space(text[last - 1])) --last;
      field.text = text.substr(i, last - i);
      i = end;
    }
    fields->push_back(std::move(field));
    if (i >= text.size()) return Status::OK();
    ++i;  // the delimiter
  }
}

}  // namespace mlops::ml
