// Human-readable tables for mlctl's default output.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace mlops::ctl {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// "2026-11-23 18:04:05" in local time from epoch milliseconds ("-" for 0).
std::string FormatTime(int64_t ms);
// "1.25s", "3m04s", "-" for unknown.
std::string FormatDuration(int64_t start_ms, int64_t end_ms);

}  // namespace mlops::ctl
