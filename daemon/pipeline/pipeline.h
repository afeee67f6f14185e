// Pipeline: the parsed, validated form of a pipeline YAML file (docs/pipeline-format.md).
// Plain data; produced by ParsePipeline (pipeline_parser.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlops::pipeline {

// Where a node came from in the YAML file, 1-based; columns count bytes.
// line == 0 means "no position" (e.g. the file could not be read).
struct SourcePos {
  int line = 0;
  int column = 0;
};

struct Resources {
  double cpus = 1;        // cpu slots held while the stage runs
  int gpus = 0;           // exclusive GPU slots
  int64_t memory_mb = 0;  // 0 = not limited
};

struct Stage {
  std::string name;
  std::string uses;                // plugin name ("exec", "trainer", ...)
  std::vector<std::string> needs;  // names of stages that must succeed first
  std::string run;                 // exec: the command line
  bool shell = false;              // exec: run `run` through /bin/sh -c
  // exec: the vector to spawn, always filled for exec stages: the `argv` key
  // as written, `run` split into words (quotes honoured, no expansion) when
  // `shell` is false, or {"/bin/sh", "-c", run} when it is true.
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::string with_json = "{}";      // the `with` mapping as JSON object text
  std::vector<std::string> inputs;   // paths relative to the workspace (or absolute)
  std::vector<std::string> outputs;  // paths relative to the workspace
  Resources resources;
  int retries = 0;                                // extra attempts after the first
  std::chrono::milliseconds retry_backoff{1000};  // doubled after each retry
  std::chrono::milliseconds timeout{std::chrono::hours(1)};
  SourcePos pos;
};

// A measure and its alarm threshold, for every feature or for one.
struct DriftRule {
  std::string measure = "psi";      // psi, ks, js or wasserstein (docs/drift.md)
  std::optional<double> threshold;  // empty: the measure's default alarm
};

// on.drift: when drift of new data against the model's reference profile
// starts a run (docs/pipeline-format.md, "Drift policy").
struct DriftPolicy {
  enum class Source { kServed, kData, kBoth };
  Source source = Source::kServed;
  DriftRule all;                               // every feature of the profile
  std::map<std::string, DriftRule> features;   // per feature, over `all`
  bool listed_only = false;                    // watch: listed
  int min_features = 1;                        // drifted features that count as drift
  int64_t min_rows = 1000;                     // smaller windows are not judged
  int windows = 1;                             // consecutive windows over the threshold
  std::chrono::milliseconds cooldown{std::chrono::hours(1)};
  SourcePos pos;                               // of the `drift` key
};

struct Triggers {
  std::vector<std::string> git_branches;  // on.git.branches
  std::vector<std::string> data_paths;    // on.data
  std::optional<DriftPolicy> drift;       // on.drift
};

// model.promote.canary (docs/pipeline-format.md, docs/serving.md "Canary"):
// how a new version is tried on a share of the production traffic before it
// replaces production.
struct CanaryPolicy {
  std::vector<int> steps = {10, 50, 100};  // shares in percent, increasing, 1..100
  std::chrono::milliseconds window{std::chrono::minutes(5)};
  int64_t min_requests = 100;  // per window, answered by the canary, before a decision
  // Limits, each judged per window against production's figures of the same window.
  double max_error_rate_increase = 0.01;  // canary error rate - production's
  double max_p99_latency_ratio = 2.0;     // canary p99 / production p99
  std::optional<double> max_shadow_disagreement;  // disagreed / compared; unset: not judged
  std::string promote = "manual";  // "auto" or "manual" after the last step held
};

struct ModelSpec {
  std::string name;
  std::string artifact;                       // "<stage>.<output name>"
  std::string promote_staging = "on_gates";   // "on_gates", "manual" or "never"
  std::string promote_production = "manual";  // "on_gates", "manual", "approval" or "never"
  std::optional<CanaryPolicy> canary;         // model.promote.canary; unset: none
};

struct Pipeline {
  int version = 1;
  std::string name;
  Triggers on;
  std::vector<Stage> stages;  // in file order
  std::optional<ModelSpec> model;

  // The stage called `name`, or nullptr. Linear in the number of stages; use
  // StageGraph (stage_graph.h) for repeated lookups.
  const Stage* FindStage(const std::string& name) const;
};

}  // namespace mlops::pipeline
