// Parses and validates a pipeline YAML file.
//
// Every problem is reported as "FILE:LINE:COLUMN: message" with 1-based
// positions and what was expected: YAML syntax errors, duplicate keys, unknown
// keys, wrong types, bad durations ("30m", "1h30m", "45s", "500ms"), unknown
// plugins, unknown `needs`, and dependency cycles (with their path,
// "a -> b -> c -> a").
// Thread-safety: pure functions.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "mlops/common/status.h"
#include "pipeline/pipeline.h"

namespace mlops::pipeline {

struct PipelineError {
  std::string file;
  SourcePos pos;
  std::string message;
  // "file:line:column: message", or "file: message" when pos.line == 0.
  std::string ToString() const;
};

struct ParseOptions {
  std::string file_name = "<pipeline>";  // used in messages
  std::set<std::string> known_plugins;   // empty = do not check `uses`
  // on.drift is checked in full either way; without this it is then refused,
  // because no part of the daemon acts on a drift policy yet. Only tests of
  // the grammar set it.
  bool accept_drift_policy = false;
};

// Parses `yaml_text`. Returns true and fills *out when valid; otherwise
// appends every problem found to *errors, in file order, and returns false
// leaving *out untouched. Never throws.
bool ParsePipeline(const std::string& yaml_text, const ParseOptions& options, Pipeline* out,
                   std::vector<PipelineError>* errors);

// Reads the file and parses it; file_name in options defaults to `path`.
bool ParsePipelineFile(const std::string& path, ParseOptions options, Pipeline* out,
                       std::vector<PipelineError>* errors);

// "30m" -> 30 minutes. Accepts sequences of <int><unit>, units ms, s, m, h, d
// ("1h30m", "500ms"). A bare number, a sign, a fraction, an unknown unit or a
// total beyond the range of milliseconds is refused. On failure *out is
// unchanged.
bool ParseDuration(const std::string& text, std::chrono::milliseconds* out);
// As above; on failure *error says what was wrong ("unknown unit 'x' ...").
bool ParseDuration(const std::string& text, std::chrono::milliseconds* out, std::string* error);

}  // namespace mlops::pipeline
