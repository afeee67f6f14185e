// In-memory fakes for the scheduler's OS seams: a StageRunner that "runs" an
// attempt only when the test says how it ended, a Workspace over a map of
// file contents, and a PluginResolver over a fixed list.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "mlops/common/sha256.h"
#include "process/stage_runner.h"
#include "scheduler/plugin_resolver.h"
#include "scheduler/workspace.h"

namespace mlops::scheduler::testing {

class FakeRunner final : public StageRunner {
 public:
  void set_sink(OnFinished sink) { sink_ = std::move(sink); }
  void Start(const AttemptSpec& spec) override { running_[spec.attempt_id] = spec; started.push_back(spec); }
  void Cancel(int64_t id) override {
    cancelled.push_back(id);
    if (running_.count(id)) Finish(id, AttemptOutcome::Kind::kCancelled);
  }
  int Running() const override { return static_cast<int>(running_.size()); }

  // Reports the end of a running attempt.
  void Finish(int64_t id, AttemptOutcome::Kind kind, std::vector<OutputArtifact> outputs = {},
              std::string error = "") {
    AttemptOutcome o;
    o.attempt_id = id;
    o.kind = kind;
    o.exit_code = kind == AttemptOutcome::Kind::kSucceeded ? 0 : 1;
    o.error = error;
    o.outputs = std::move(outputs);
    running_.erase(id);
    sink_(o);
  }
  std::vector<int64_t> RunningIds() const {
    std::vector<int64_t> ids;
    for (const auto& [id, s] : running_) ids.push_back(id);
    return ids;
  }
  const AttemptSpec& spec(int64_t id) const { return running_.at(id); }

  std::vector<AttemptSpec> started;
  std::vector<int64_t> cancelled;

 private:
  OnFinished sink_;
  std::map<int64_t, AttemptSpec> running_;
};

class FakeWorkspace final : public Workspace {
 public:
  Status Prepare(int64_t run_id, const std::string& source, std::string* dir) override {
    *dir = "/ws/run-" + std::to_string(run_id);
    for (const auto& [path, content] : source_files) files[*dir + "/" + path] = content;
    return Status::OK();
  }
  std::string LogPath(int64_t run_id, const std::string& stage, int attempt) override {
    return "/logs/" + std::to_string(run_id) + "/" + stage + "." + std::to_string(attempt);
  }
  std::string ScratchDir(int64_t run_id, const std::string& stage) override {
    return "/scratch/" + std::to_string(run_id) + "/" + stage;
  }
  Status Ingest(const std::string& path, registry::ArtifactRecord* out) override {
    auto it = files.find(path);
    if (it == files.end()) return Status::NotFound(path + ": no such file");
    out->sha256 = Sha256Hex(it->second);
    out->size = static_cast<int64_t>(it->second.size());
    out->media_type = "application/octet-stream";
    store[out->sha256] = it->second;
    ingested.push_back(path);
    return Status::OK();
  }
  bool Has(const std::string& sha) override { return store.count(sha) > 0; }
  Status Restore(const std::string& sha, const std::string& dest) override {
    files[dest] = store.at(sha);
    restored.push_back(dest);
    return Status::OK();
  }

  std::map<std::string, std::string> source_files;  // relative path -> content
  std::map<std::string, std::string> files;         // absolute path -> content
  std::map<std::string, std::string> store;         // sha -> content
  std::vector<std::string> ingested, restored;
};

class FakePlugins final : public PluginResolver {
 public:
  Status Resolve(const std::string& name, PluginRef* out) override {
    if (name != "exec" && name != "trainer") return Status::NotFound("unknown plugin '" + name + "'");
    *out = {name, "1.0.0", std::string(64, name == "exec" ? 'e' : 't'), "/plugins/" + name + ".so"};
    return Status::OK();
  }
  std::vector<std::string> Names() override { return {"exec", "trainer"}; }
};

}  // namespace mlops::scheduler::testing
