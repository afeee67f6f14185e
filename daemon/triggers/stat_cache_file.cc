#include "triggers/stat_cache_file.h"

#include <charconv>
#include <sstream>
#include <vector>

#include "mlops/common/files.h"
#include "mlops/common/sha256.h"

namespace mlops::triggers::internal {
namespace {

constexpr std::string_view kMagic = "mlops-data-stat-cache";

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t sp = line.find(' ', start);
    out.push_back(line.substr(start, sp - start));
    if (sp == std::string::npos) return out;
    start = sp + 1;
  }
}

template <typename T>
bool ParseInt(const std::string& s, T* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

}  // namespace

std::string EscapePath(const std::string& path) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (unsigned char c : path) {
    if (c <= 0x20 || c == '%' || c == 0x7f) {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

bool UnescapePath(const std::string& escaped, std::string* out) {
  out->clear();
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] != '%') {
      out->push_back(escaped[i]);
      continue;
    }
    if (i + 2 >= escaped.size()) return false;
    unsigned value = 0;
    auto [end, ec] = std::from_chars(escaped.data() + i + 1, escaped.data() + i + 3, value, 16);
    if (ec != std::errc() || end != escaped.data() + i + 3) return false;
    out->push_back(static_cast<char>(value));
    i += 2;
  }
  return true;
}

Status LoadStatCache(const std::string& path, StatCacheState* out) {
  *out = StatCacheState();
  std::string text;
  MLOPS_RETURN_IF_ERROR(ReadFile(path, &text));
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || !line.starts_with(std::string(kMagic) + " ")) {
    return Status::Corruption(path + ": not a data stat cache file");
  }
  std::string version = line.substr(kMagic.size() + 1);
  if (version != std::to_string(kStatCacheVersion)) {
    return Status::InvalidArgument(path + ": data stat cache version " + version +
                                   " is not the one this mlopsd knows (" +
                                   std::to_string(kStatCacheVersion) + ")");
  }
  StatCacheState state;
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    auto bad = [&] {
      return Status::Corruption(path + ":" + std::to_string(line_no) + ": malformed record");
    };
    std::vector<std::string> f = Split(line);
    std::string p;
    if (f.size() == 3 && f[0] == "W") {
      if (!UnescapePath(f[1], &p) || !IsSha256Hex(f[2])) return bad();
      state.watched[p] = f[2];
    } else if (f.size() == 9 && f[0] == "F") {
      StatEntry e;
      if (!UnescapePath(f[1], &p) || !ParseInt(f[2], &e.dev) || !ParseInt(f[3], &e.ino) ||
          !ParseInt(f[4], &e.size) || !ParseInt(f[5], &e.mtime_ns) ||
          !ParseInt(f[6], &e.ctime_ns) || (f[7] != "0" && f[7] != "1") || !IsSha256Hex(f[8])) {
        return bad();
      }
      e.trusted = f[7] == "1";
      e.sha256 = f[8];
      state.files[p] = std::move(e);
    } else {
      return bad();
    }
  }
  *out = std::move(state);
  return Status::OK();
}

Status SaveStatCache(const std::string& path, const StatCacheState& state) {
  std::string text = std::string(kMagic) + " " + std::to_string(kStatCacheVersion) + "\n";
  for (const auto& [p, digest] : state.watched) {
    text += "W " + EscapePath(p) + " " + digest + "\n";
  }
  for (const auto& [p, e] : state.files) {
    text += "F " + EscapePath(p) + " " + std::to_string(e.dev) + " " + std::to_string(e.ino) +
            " " + std::to_string(e.size) + " " + std::to_string(e.mtime_ns) + " " +
            std::to_string(e.ctime_ns) + " " + (e.trusted ? "1 " : "0 ") + e.sha256 + "\n";
  }
  return WriteFileAtomic(path, text, 0600);
}

}  // namespace mlops::triggers::internal
