// In-memory fakes for the scheduler's OS seams: a StageRunner that "runs" an
// attempt only when the test says how it ended, a Workspace over a map of
// file contents, and a PluginResolver over a fixed list.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "mlops/common/sha256.h"
#include "mlops/registry/store.h"
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
  static constexpr const char* kSourceDir = "/src";

  Status Prepare(int64_t run_id, const std::string& source, std::string* dir) override {
    *dir = "/ws/run-" + std::to_string(run_id);
    prepared.push_back(run_id);
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
    const std::string* content = Find(path);
    if (content == nullptr) return Status::NotFound(path + ": no such file");
    out->sha256 = Sha256Hex(*content);
    out->size = static_cast<int64_t>(content->size());
    out->media_type = "application/octet-stream";
    store[out->sha256] = *content;
    ingested.push_back(path);
    return Status::OK();
  }
  // Source files are served under kSourceDir (the pipelines' source folder
  // in the tests) as well as copied into each workspace.
  Status Digest(const std::string& path, std::string* sha) override {
    const std::string* content = Find(path);
    if (content == nullptr) return Status::NotFound(path + ": no such file");
    *sha = Sha256Hex(*content);
    digested.push_back(path);
    return Status::OK();
  }
  bool Has(const std::string& sha) override { return store.count(sha) > 0; }
  Status Restore(const std::string& sha, const std::string& dest) override {
    files[dest] = store.at(sha);
    restored.push_back(dest);
    return Status::OK();
  }
  void Retire(int64_t run_id, size_t keep) override {
    retired.push_back(run_id);
    last_keep = keep;
  }

  std::vector<int64_t> retired;
  size_t last_keep = 0;
  std::map<std::string, std::string> source_files;  // relative path -> content
  std::map<std::string, std::string> files;         // absolute path -> content
  std::map<std::string, std::string> store;         // sha -> content
  std::vector<std::string> ingested, restored, digested;
  std::vector<int64_t> prepared;  // run ids whose workspace was made

 private:
  const std::string* Find(const std::string& path) const {
    auto it = files.find(path);
    if (it != files.end()) return &it->second;
    const std::string prefix = std::string(kSourceDir) + "/";
    if (path.compare(0, prefix.size(), prefix) == 0) {
      auto src = source_files.find(path.substr(prefix.size()));
      if (src != source_files.end()) return &src->second;
    }
    return nullptr;
  }
};

// Forwards to another Store and counts the calls by method name, so that
// tests can pin down how many registry round trips a path costs.
class CountingStore final : public registry::Store {
 public:
  explicit CountingStore(registry::Store* inner) : inner_(inner) {}
  int calls(const std::string& method) const {
    auto it = calls_.find(method);
    return it == calls_.end() ? 0 : it->second;
  }
  int writes() const {
    return calls("UpsertPipeline") + calls("CreateRun") + calls("UpdateRun") +
           calls("CreateAttempt") + calls("FinishAttempt") + calls("RecordFinishedAttempts") +
           calls("FinishAttemptsThenCreate") +
           calls("InterruptUnfinished");
  }
  void Reset() { calls_.clear(); }

  // A method named here fails with the given status instead of forwarding.
  std::map<std::string, Status> fail;

#define MLOPS_FORWARD(name, params, args)                          \
  Status name params override {                                    \
    ++calls_[#name];                                                \
    if (auto it = fail.find(#name); it != fail.end()) return it->second; \
    return inner_->name args;                                       \
  }
  MLOPS_FORWARD(UpsertPipeline, (registry::PipelineRecord* r), (r))
  MLOPS_FORWARD(GetPipelineByName, (const std::string& n, registry::PipelineRecord* o), (n, o))
  MLOPS_FORWARD(GetPipeline, (int64_t id, registry::PipelineRecord* o), (id, o))
  MLOPS_FORWARD(ListPipelines, (std::vector<registry::PipelineRecord>* o), (o))
  MLOPS_FORWARD(CreateRun, (registry::RunRecord* r), (r))
  MLOPS_FORWARD(UpdateRun, (const registry::RunRecord& r), (r))
  MLOPS_FORWARD(GetRun, (int64_t id, registry::RunRecord* o), (id, o))
  MLOPS_FORWARD(ListRuns, (const registry::RunFilter& f, std::vector<registry::RunRecord>* o),
                (f, o))
  MLOPS_FORWARD(CreateAttempt, (registry::StageAttemptRecord* r), (r))
  MLOPS_FORWARD(FinishAttempt, (const registry::AttemptResult& r), (r))
  MLOPS_FORWARD(FinishAttemptsThenCreate,
                (const std::vector<registry::AttemptResult>& e, registry::StageAttemptRecord* n),
                (e, n))
  MLOPS_FORWARD(GetAttempt, (int64_t id, registry::StageAttemptRecord* o), (id, o))
  MLOPS_FORWARD(ListAttempts, (int64_t id, std::vector<registry::StageAttemptRecord>* o), (id, o))
  MLOPS_FORWARD(ListMetrics, (int64_t id, std::vector<registry::MetricRecord>* o), (id, o))
  MLOPS_FORWARD(ListParams, (int64_t id, std::vector<registry::ParamRecord>* o), (id, o))
  MLOPS_FORWARD(ListEdges, (int64_t id, std::vector<registry::ArtifactEdge>* o), (id, o))
  MLOPS_FORWARD(FindCachedAttempt,
                (const std::string& k, registry::StageAttemptRecord* a,
                 std::vector<registry::ArtifactEdge>* p),
                (k, a, p))
  MLOPS_FORWARD(GetArtifact, (const std::string& sha, registry::ArtifactRecord* o), (sha, o))
  MLOPS_FORWARD(ListArtifacts, (int limit, std::vector<registry::ArtifactRecord>* o), (limit, o))
  MLOPS_FORWARD(LineageUpstream, (const std::string& sha, registry::LineageGraph* o), (sha, o))
  MLOPS_FORWARD(LineageDownstream, (const std::string& sha, registry::LineageGraph* o), (sha, o))
  MLOPS_FORWARD(InterruptUnfinished, (int64_t now, std::vector<int64_t>* ids), (now, ids))
  MLOPS_FORWARD(RecordFinishedAttempts, (std::vector<registry::AttemptResult>* r), (r))
  MLOPS_FORWARD(FindCachedOutputs,
                (const std::string& k, registry::StageAttemptRecord* a,
                 std::vector<registry::ArtifactEdge>* p, std::vector<registry::ArtifactRecord>* r),
                (k, a, p, r))
  MLOPS_FORWARD(ListRunEdges, (int64_t id, std::vector<registry::ArtifactEdge>* o), (id, o))
  MLOPS_FORWARD(ListRunMetrics,
                (int64_t id, std::vector<std::pair<int64_t, registry::MetricRecord>>* o),
                (id, o))
  // Triggers (migration 2).
  MLOPS_FORWARD(UpsertRepository, (registry::RepositoryRecord* r), (r))
  MLOPS_FORWARD(GetRepository, (const std::string& n, registry::RepositoryRecord* o), (n, o))
  MLOPS_FORWARD(ListRepositories, (std::vector<registry::RepositoryRecord>* o), (o))
  MLOPS_FORWARD(UpdateRepositoryState, (const registry::RepositoryRecord& r), (r))
  MLOPS_FORWARD(RecordCommit, (registry::CommitRecord* c, bool* inserted), (c, inserted))
  MLOPS_FORWARD(UpdateCommit, (const registry::CommitRecord& c), (c))
  MLOPS_FORWARD(GetCommit, (int64_t id, registry::CommitRecord* o), (id, o))
  MLOPS_FORWARD(ListCommits,
                (const registry::CommitFilter& f, std::vector<registry::CommitRecord>* o), (f, o))
  MLOPS_FORWARD(RecordDataVersion, (registry::DataVersionRecord* d, bool* is_new), (d, is_new))
  MLOPS_FORWARD(GetDataVersion, (int64_t id, registry::DataVersionRecord* o), (id, o))
  MLOPS_FORWARD(ListDataVersions,
                (const std::string& p, int limit, std::vector<registry::DataVersionRecord>* o),
                (p, limit, o))
  MLOPS_FORWARD(LinkRunDataVersion, (int64_t run, int64_t dv), (run, dv))
  MLOPS_FORWARD(ListRunDataVersions, (int64_t id, std::vector<registry::DataVersionRecord>* o),
                (id, o))
  MLOPS_FORWARD(ListDataVersionRuns, (int64_t id, std::vector<registry::RunRecord>* o), (id, o))
  MLOPS_FORWARD(RecordDelivery, (const registry::WebhookDeliveryRecord& d), (d))
  MLOPS_FORWARD(SetDeliveryResult,
                (const std::string& s, const std::string& id, const std::string& r), (s, id, r))
  MLOPS_FORWARD(PruneDeliveries, (int64_t before, int64_t* removed), (before, removed))
#undef MLOPS_FORWARD

 private:
  registry::Store* inner_;
  std::map<std::string, int> calls_;
};

class FakePlugins final : public PluginResolver {
 public:
  Status Resolve(const std::string& name, PluginRef* out) override {
    if (name != "exec" && name != "trainer") return Status::NotFound("unknown plugin '" + name + "'");
    *out = {name, "1.0.0", std::string(64, name == "exec" ? 'e' : 't'), "/plugins/" + name + ".so"};
    if (auto it = sha256.find(name); it != sha256.end()) out->sha256 = it->second;
    return Status::OK();
  }
  std::vector<std::string> Names() override { return {"exec", "trainer"}; }
  // A plugin's file digest instead of the default (as after a rebuild).
  std::map<std::string, std::string> sha256;
};

}  // namespace mlops::scheduler::testing
