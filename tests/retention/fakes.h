// Fakes for retention's seams: an in-memory file tree that counts listings,
// and a guard whose answers the test sets.
#pragma once

#include <map>
#include <set>
#include <string>
#include <unordered_set>

#include "retention/retention_guard.h"
#include "retention/state_fs.h"

namespace mlops::retention {

class FakeStateFs final : public StateFs {
 public:
  struct Node {
    bool is_dir = false;
    int64_t mtime_ms = 0;
    int64_t bytes = 0;
  };

  // Adds `path` and any missing parent folders.
  void Add(const std::string& path, bool is_dir, int64_t mtime_ms, int64_t bytes = 0) {
    for (size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      nodes_.emplace(path.substr(0, slash), Node{true, 0, 0});
    }
    nodes_[path] = Node{is_dir, mtime_ms, bytes};
  }
  bool Has(const std::string& path) const { return nodes_.count(path) > 0; }
  int lists() const { return lists_; }

  Status List(const std::string& dir, std::vector<FsEntry>* out) override {
    ++lists_;
    out->clear();
    const std::string prefix = dir + "/";
    for (auto it = nodes_.lower_bound(prefix); it != nodes_.end() && it->first.rfind(prefix, 0) == 0; ++it) {
      const std::string rest = it->first.substr(prefix.size());
      if (rest.find('/') != std::string::npos) continue;
      out->push_back({rest, it->second.is_dir, it->second.mtime_ms});
    }
    return Status::OK();
  }
  Status Stat(const std::string& path, FsEntry* out) override {
    auto it = nodes_.find(path);
    if (it == nodes_.end()) return Status::NotFound(path);
    *out = {path.substr(path.find_last_of('/') + 1), it->second.is_dir, it->second.mtime_ms};
    return Status::OK();
  }
  int64_t DiskBytes(const std::string& path) override {
    int64_t total = 0;
    for (auto it = nodes_.lower_bound(path); it != nodes_.end() && it->first.rfind(path, 0) == 0; ++it) {
      if (it->first == path || it->first[path.size()] == '/') total += it->second.bytes;
    }
    return total;
  }
  Status Remove(const std::string& path) override {
    for (auto it = nodes_.lower_bound(path); it != nodes_.end() && it->first.rfind(path, 0) == 0;) {
      if (it->first == path || it->first[path.size()] == '/') it = nodes_.erase(it);
      else ++it;
    }
    return Status::OK();
  }

 private:
  std::map<std::string, Node> nodes_;
  int lists_ = 0;
};

class FakeGuard final : public RetentionGuard {
 public:
  std::set<int64_t> active;          // runs not ended
  std::set<int64_t> model_runs;      // runs that registered a model version
  std::set<std::string> commits;     // commits active runs use
  std::unordered_set<std::string> referenced;
  std::unordered_set<std::string> referenced_late;  // recorded during a collection
  int64_t active_since_ms = 0;       // 0: now
  int run_lookups = 0;

  bool RunEnded(int64_t run_id) override {
    ++run_lookups;
    return active.count(run_id) == 0;
  }
  bool RunHasModelVersion(int64_t run_id) override { return model_runs.count(run_id) > 0; }
  Status CommitsInUse(std::set<std::string>* out) override {
    *out = commits;
    return Status::OK();
  }
  Status ReferencedArtifacts(std::unordered_set<std::string>* out) override {
    *out = referenced;
    return Status::OK();
  }
  bool ArtifactReferenced(const std::string& sha) override {
    return referenced.count(sha) > 0 || referenced_late.count(sha) > 0;
  }
  int64_t ActiveSinceMs() override { return active_since_ms == 0 ? INT64_MAX : active_since_ms; }
};

}  // namespace mlops::retention
