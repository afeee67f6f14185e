// RetentionConfig: how much of each folder the daemon writes under its state
// folder is kept, by count, age and disk use (docs/config.md, `retention`).
// Each folder class has its own limits; a class with no limit is never
// collected. Plain values, no behaviour beyond parsing sizes and naming the
// classes. Thread-safety: immutable once built.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace mlops::retention {

// The folders the collector prunes: <state>/logs/run-<id>,
// <state>/scratch/run-<id>, <state>/workspaces/run-<id>,
// <state>/checkouts/<repository>/<commit> and
// <state>/provenance/run-<id>-attempt-<id>.json. A new class (prediction
// logs) is one more enumerator, its name here and its layout in
// Collector::ScanKind (how entries are found and ordered).
enum class FolderKind { kLogs = 0, kScratch, kWorkspaces, kCheckouts, kProvenance };
constexpr size_t kFolderKinds = 5;
constexpr std::array<FolderKind, kFolderKinds> kAllFolderKinds = {
    FolderKind::kLogs, FolderKind::kScratch, FolderKind::kWorkspaces, FolderKind::kCheckouts,
    FolderKind::kProvenance};

// "logs", "scratch", ... (the config key and the folder name).
const char* FolderName(FolderKind kind);
// The kind whose FolderName is `name`; false when there is none.
bool FolderKindFromName(const std::string& name, FolderKind* out);

struct FolderLimits {
  std::optional<size_t> keep;            // at most this many entries (newest kept)
  std::chrono::milliseconds max_age{0};  // 0 = no age limit
  int64_t max_bytes = 0;                 // 0 = no size limit (disk blocks used)

  bool Any() const { return keep.has_value() || max_age.count() > 0 || max_bytes > 0; }
};

struct RetentionConfig {
  // How often the daemon lists every folder again (and collects); runs that
  // end in between are collected from what the last listing found.
  std::chrono::milliseconds interval{std::chrono::minutes(10)};
  // Collect soon after runs end (only what those runs left, no listing);
  // false: only every `interval` and on request (`mlctl gc`).
  bool after_runs = true;
  std::array<FolderLimits, kFolderKinds> limits = DefaultLimits();

  FolderLimits& operator[](FolderKind k) { return limits[static_cast<size_t>(k)]; }
  const FolderLimits& operator[](FolderKind k) const { return limits[static_cast<size_t>(k)]; }

  // The shipped defaults (docs/config.md): logs and provenance of the newest
  // 10,000 runs, scratch of the newest 100, workspaces and checkouts younger
  // than 30 days (workspaces also keep the scheduler's newest 20).
  static std::array<FolderLimits, kFolderKinds> DefaultLimits();
};

// Parses a size: a whole number with an optional unit B, KB, MB, GB, TB
// (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), e.g. "500MB",
// "2GiB", "4096". False with *error set on anything else or overflow.
bool ParseByteSize(const std::string& text, int64_t* out, std::string* error);

}  // namespace mlops::retention
