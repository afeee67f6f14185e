#include "retention/retention_config.h"

#include <limits>

namespace mlops::retention {

const char* FolderName(FolderKind kind) {
  switch (kind) {
    case FolderKind::kLogs: return "logs";
    case FolderKind::kScratch: return "scratch";
    case FolderKind::kWorkspaces: return "workspaces";
    case FolderKind::kCheckouts: return "checkouts";
    case FolderKind::kProvenance: return "provenance";
  }
  return "?";
}

bool FolderKindFromName(const std::string& name, FolderKind* out) {
  for (FolderKind k : kAllFolderKinds) {
    if (name == FolderName(k)) {
      *out = k;
      return true;
    }
  }
  return false;
}

std::array<FolderLimits, kFolderKinds> RetentionConfig::DefaultLimits() {
  using std::chrono::hours;
  std::array<FolderLimits, kFolderKinds> l;
  l[static_cast<size_t>(FolderKind::kLogs)].keep = 10000;
  l[static_cast<size_t>(FolderKind::kScratch)].keep = 100;
  l[static_cast<size_t>(FolderKind::kWorkspaces)].max_age = hours(24 * 30);
  l[static_cast<size_t>(FolderKind::kCheckouts)].max_age = hours(24 * 30);
  l[static_cast<size_t>(FolderKind::kProvenance)].keep = 10000;
  return l;
}

bool ParseByteSize(const std::string& text, int64_t* out, std::string* error) {
  constexpr const char* kForm = "a size such as 4096, 500MB or 2GiB (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)";
  size_t i = 0;
  int64_t n = 0;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    const int digit = text[i] - '0';
    if (n > (kMax - digit) / 10) {
      *error = "size too large: " + text;
      return false;
    }
    n = n * 10 + digit;
    ++i;
  }
  if (i == 0) {
    *error = "expected " + std::string(kForm) + ", got '" + text + "'";
    return false;
  }
  const std::string unit = text.substr(i);
  static const std::pair<const char*, int64_t> kUnits[] = {
      {"", 1}, {"B", 1}, {"KB", 1000LL}, {"MB", 1000LL * 1000}, {"GB", 1000LL * 1000 * 1000},
      {"TB", 1000LL * 1000 * 1000 * 1000}, {"KiB", 1LL << 10}, {"MiB", 1LL << 20},
      {"GiB", 1LL << 30}, {"TiB", 1LL << 40}};
  for (const auto& [name, factor] : kUnits) {
    if (unit != name) continue;
    if (n > kMax / factor) {
      *error = "size too large: " + text;
      return false;
    }
    *out = n * factor;
    return true;
  }
  *error = "unknown size unit '" + unit + "' in '" + text + "'; expected " + kForm;
  return false;
}

}  // namespace mlops::retention
