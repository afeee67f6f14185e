#include "retention/artifact_collector.h"

#include <algorithm>
#include <unordered_set>
#include <vector>

#include "mlops/common/files.h"

namespace mlops::retention {
namespace {

bool IsHex(const std::string& s, size_t size) {
  return s.size() == size && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string Relative(const std::string& base, const std::string& path) {
  if (path.rfind(base + "/", 0) == 0) return path.substr(base.size() + 1);
  return path;
}

}  // namespace

ArtifactCollector::ArtifactCollector(std::string root, std::string state_dir, StateFs* fs,
                                     Clock* clock, RetentionGuard* guard)
    : root_(std::move(root)), state_dir_(std::move(state_dir)), fs_(fs), clock_(clock),
      guard_(guard) {}

Status ArtifactCollector::Collect(bool dry_run, CollectReport* report) {
  // The cut-off first, the references second: a run that becomes active in
  // between stores only files newer than the cut-off.
  const int64_t cutoff =
      std::min(guard_->ActiveSinceMs(), clock_->WallMillis()) - kWriteGrace.count();
  std::unordered_set<std::string> referenced;
  MLOPS_RETURN_IF_ERROR(guard_->ReferencedArtifacts(&referenced));
  const std::string content = JoinPath(root_, "sha256");
  std::vector<FsEntry> shards;
  MLOPS_RETURN_IF_ERROR(fs_->List(content, &shards));
  for (const FsEntry& shard : shards) {
    if (!shard.is_dir || !IsHex(shard.name, 2)) continue;
    const std::string dir = JoinPath(content, shard.name);
    std::vector<FsEntry> files;
    MLOPS_RETURN_IF_ERROR(fs_->List(dir, &files));
    for (const FsEntry& f : files) {
      if (f.is_dir || !IsHex(f.name, 64) || f.name.compare(0, 2, shard.name) != 0) continue;
      if (referenced.count(f.name)) continue;
      if (f.mtime_ms >= cutoff) {
        ++report->kept_in_use;
        continue;
      }
      const std::string path = JoinPath(dir, f.name);
      const int64_t bytes = fs_->DiskBytes(path);
      if (!dry_run) {
        if (guard_->ArtifactReferenced(f.name)) continue;
        Status s = fs_->Remove(path);
        if (!s.ok()) {
          report->errors.push_back(s.message());
          continue;
        }
      }
      report->Add({"artifacts", Relative(state_dir_, path), bytes, "referenced by no run or model version"});
    }
  }
  return Status::OK();
}

}  // namespace mlops::retention
