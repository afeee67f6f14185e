#include "table.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace mlops::ctl {

void Table::Print(std::ostream& out) const {
  std::vector<size_t> width(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  };
  measure(header_);
  for (const auto& r : rows_) measure(r);
  auto print = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < width.size(); ++i) {
      std::string cell = i < row.size() ? row[i] : "";
      line += cell;
      if (i + 1 < width.size()) line += std::string(width[i] - cell.size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  };
  print(header_);
  for (const auto& r : rows_) print(r);
}

std::string FormatTime(int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string FormatDuration(int64_t start_ms, int64_t end_ms) {
  if (start_ms <= 0 || end_ms < start_ms) return "-";
  const int64_t ms = end_ms - start_ms;
  char buf[32];
  if (ms < 60'000) std::snprintf(buf, sizeof buf, "%.2fs", ms / 1000.0);
  else std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(ms / 60'000),
                     static_cast<long long>((ms / 1000) % 60));
  return buf;
}

}  // namespace mlops::ctl
