#include "retention/collector.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "mlops/common/files.h"

namespace mlops::retention {
namespace {

// Digits only, no sign or leading zero; 0 when not a positive id.
int64_t ParseId(const std::string& s) {
  if (s.empty() || s.size() > 18 || s[0] == '0') return 0;
  int64_t id = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    id = id * 10 + (c - '0');
  }
  return id;
}

bool IsCommitName(const std::string& n) {
  if (n.size() != 40 && n.size() != 64) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

bool IsRunKind(FolderKind k) {
  return k == FolderKind::kLogs || k == FolderKind::kScratch || k == FolderKind::kWorkspaces;
}

std::string Describe(std::chrono::milliseconds d) {
  const int64_t s = d.count() / 1000;
  if (s % 86400 == 0 && s > 0) return std::to_string(s / 86400) + "d";
  if (s % 3600 == 0 && s > 0) return std::to_string(s / 3600) + "h";
  if (s % 60 == 0 && s > 0) return std::to_string(s / 60) + "m";
  return std::to_string(d.count()) + "ms";
}

}  // namespace

int64_t RunIdOfRunFolder(const std::string& name) {
  if (name.rfind("run-", 0) != 0) return 0;
  return ParseId(name.substr(4));
}

int64_t RunIdOfProvenanceFile(const std::string& name) {
  constexpr std::string_view kSuffix = ".json";
  if (name.rfind("run-", 0) != 0 || name.size() <= kSuffix.size() ||
      name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return 0;
  }
  const std::string core = name.substr(4, name.size() - 4 - kSuffix.size());
  const size_t dash = core.find("-attempt-");
  if (dash == std::string::npos || ParseId(core.substr(dash + 9)) == 0) return 0;
  return ParseId(core.substr(0, dash));
}

Collector::Collector(std::string state_dir, RetentionConfig config, StateFs* fs, Clock* clock,
                     RetentionGuard* guard)
    : state_dir_(std::move(state_dir)), config_(config), fs_(fs), clock_(clock), guard_(guard) {}

size_t Collector::indexed(FolderKind kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  return index_[static_cast<size_t>(kind)].size();
}

void Collector::AddEntry(const Index& before, Entry e, Index* out) {
  auto old = before.find(e.path);
  if (old != before.end() && old->second.mtime_ms == e.mtime_ms) {
    e.bytes = old->second.bytes;
    e.ended = old->second.ended;
  } else {
    e.bytes = fs_->DiskBytes(JoinPath(state_dir_, e.path));
  }
  std::string key = e.path;
  (*out)[key] = std::move(e);
}

void Collector::ScanKind(FolderKind kind, const Index& before, Index* out) {
  const std::string folder = FolderName(kind);
  std::vector<FsEntry> entries;
  if (!fs_->List(JoinPath(state_dir_, folder), &entries).ok()) {
    *out = before;  // keep what was known; the next scan tries again
    return;
  }
  for (const FsEntry& fe : entries) {
    Entry e;
    e.path = folder + "/" + fe.name;
    e.mtime_ms = fe.mtime_ms;
    if (IsRunKind(kind)) {
      e.run_id = fe.is_dir ? RunIdOfRunFolder(fe.name) : 0;
      if (e.run_id != 0) AddEntry(before, std::move(e), out);
    } else if (kind == FolderKind::kProvenance) {
      e.run_id = fe.is_dir ? 0 : RunIdOfProvenanceFile(fe.name);
      if (e.run_id != 0) AddEntry(before, std::move(e), out);
    } else if (kind == FolderKind::kCheckouts && fe.is_dir) {
      std::vector<FsEntry> commits;
      if (!fs_->List(JoinPath(JoinPath(state_dir_, folder), fe.name), &commits).ok()) continue;
      for (const FsEntry& c : commits) {
        if (!c.is_dir || !IsCommitName(c.name)) continue;  // *.partial: being made
        Entry ce;
        ce.path = e.path + "/" + c.name;
        ce.commit = c.name;
        ce.mtime_ms = c.mtime_ms;
        AddEntry(before, std::move(ce), out);
      }
    }
  }
}

void Collector::Rescan() {
  std::lock_guard<std::mutex> lock(mu_);
  for (FolderKind kind : kAllFolderKinds) {
    Index& idx = index_[static_cast<size_t>(kind)];
    if (!config_[kind].Any()) {
      idx.clear();
      continue;
    }
    Index fresh;
    ScanKind(kind, idx, &fresh);
    idx = std::move(fresh);
  }
}

void Collector::NoteRunEnded(int64_t run_id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (FolderKind kind : {FolderKind::kLogs, FolderKind::kScratch, FolderKind::kWorkspaces}) {
    if (!config_[kind].Any()) continue;
    Entry e;
    e.path = std::string(FolderName(kind)) + "/run-" + std::to_string(run_id);
    e.run_id = run_id;
    FsEntry fe;
    if (!fs_->Stat(JoinPath(state_dir_, e.path), &fe).ok() || !fe.is_dir) continue;
    e.mtime_ms = fe.mtime_ms;
    Index& idx = index_[static_cast<size_t>(kind)];
    AddEntry(idx, std::move(e), &idx);
  }
}

bool Collector::Protected(FolderKind kind, Entry* e, const std::set<std::string>& commits_in_use) {
  if (kind == FolderKind::kCheckouts) {
    return commits_in_use.count(e->commit) > 0 ||
           clock_->WallMillis() - e->mtime_ms < kFreshGrace.count();
  }
  if (!e->ended) e->ended = guard_->RunEnded(e->run_id);
  if (!e->ended) return true;
  return kind == FolderKind::kProvenance && guard_->RunHasModelVersion(e->run_id);
}

void Collector::CollectKind(FolderKind kind, bool dry_run, CollectReport* report) {
  const FolderLimits& limits = config_[kind];
  Index& idx = index_[static_cast<size_t>(kind)];
  if (!limits.Any() || idx.empty()) return;
  std::vector<Entry*> order;
  order.reserve(idx.size());
  for (auto& [path, e] : idx) order.push_back(&e);
  // Newest first.
  std::sort(order.begin(), order.end(), [kind](const Entry* a, const Entry* b) {
    if (kind != FolderKind::kCheckouts && a->run_id != b->run_id) return a->run_id > b->run_id;
    if (a->mtime_ms != b->mtime_ms) return a->mtime_ms > b->mtime_ms;
    return a->path > b->path;
  });
  std::set<std::string> commits_in_use;
  bool commits_known = false;
  const int64_t now = clock_->WallMillis();
  int64_t newer_bytes = 0;
  std::vector<std::string> gone;
  for (size_t i = 0; i < order.size(); ++i) {
    Entry* e = order[i];
    newer_bytes += e->bytes;
    std::string reason;
    if (limits.keep && i >= *limits.keep) {
      reason = "beyond the newest " + std::to_string(*limits.keep);
    } else if (limits.max_age.count() > 0 && now - e->mtime_ms > limits.max_age.count()) {
      reason = "older than " + Describe(limits.max_age);
    } else if (limits.max_bytes > 0 && newer_bytes > limits.max_bytes) {
      reason = "over " + std::to_string(limits.max_bytes) + " bytes";
    }
    if (reason.empty()) continue;
    if (kind == FolderKind::kCheckouts && !commits_known) {
      Status s = guard_->CommitsInUse(&commits_in_use);
      if (!s.ok()) {
        report->errors.push_back("checkouts kept: " + s.message());
        return;
      }
      commits_known = true;
    }
    if (Protected(kind, e, commits_in_use)) {
      ++report->kept_in_use;
      continue;
    }
    if (!dry_run) {
      Status s = fs_->Remove(JoinPath(state_dir_, e->path));
      if (!s.ok()) {
        report->errors.push_back(s.message());
        continue;
      }
      gone.push_back(e->path);
    }
    report->Add({FolderName(kind), e->path, e->bytes, reason});
  }
  for (const std::string& path : gone) idx.erase(path);
}

CollectReport Collector::Collect(bool dry_run) {
  std::lock_guard<std::mutex> lock(mu_);
  CollectReport report;
  report.dry_run = dry_run;
  for (FolderKind kind : kAllFolderKinds) CollectKind(kind, dry_run, &report);
  return report;
}

}  // namespace mlops::retention
