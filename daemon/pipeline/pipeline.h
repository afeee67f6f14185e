// Pipeline: the parsed, validated form of a pipeline YAML file (SPEC §3).
// Plain data; produced by ParsePipeline (pipeline_parser.h).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlops::pipeline {

// Where a node came from in the YAML file, 1-based.
struct SourcePos {
  int line = 0;
  int column = 0;
};

struct Resources {
  double cpus = 1;       // cpu slots held while the stage runs
  int gpus = 0;          // exclusive GPU slots
  int64_t memory_mb = 0; // 0 = not limited
};

struct Stage {
  std::string name;
  std::string uses;                    // plugin name ("exec", "trainer", ...)
  std::vector<std::string> needs;      // names of stages that must succeed first
  std::string run;                     // exec: the command line
  bool shell = false;                  // exec: run `run` through /bin/sh -c
  std::map<std::string, std::string> env;
  std::string with_json = "{}";        // the `with` mapping as JSON object text
  std::vector<std::string> inputs;     // paths relative to the workspace (or absolute)
  std::vector<std::string> outputs;    // paths relative to the workspace
  Resources resources;
  int retries = 0;                     // extra attempts after the first
  std::chrono::milliseconds retry_backoff{1000};  // doubled after each retry
  std::chrono::milliseconds timeout{std::chrono::hours(1)};
  SourcePos pos;
};

struct Triggers {
  std::vector<std::string> git_branches;  // on.git.branches
  std::vector<std::string> data_paths;    // on.data
  std::optional<double> drift_feature_psi;
};

struct ModelSpec {
  std::string name;
  std::string artifact;  // "<stage>.<output name>"
  std::string promote_staging;     // e.g. "on_gates", "manual"
  std::string promote_production;  // e.g. "manual", "on_gates"
};

struct Pipeline {
  int version = 1;
  std::string name;
  Triggers on;
  std::vector<Stage> stages;  // in file order
  std::optional<ModelSpec> model;

  const Stage* FindStage(const std::string& name) const;
};

}  // namespace mlops::pipeline
