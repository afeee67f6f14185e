// ReadStage: one item of a pipeline's `stages` list, checked on its own (keys,
// types, exec command, resources, durations). Checks across stages (unique
// names, `needs`, cycles, shared outputs) are the parser's, from the
// positions kept in StageSource.
//
// Private to mlops_pipeline. Thread-safety: see YamlReader.
#pragma once

#include <string>
#include <vector>

#include "pipeline/yaml_reader.h"

namespace mlops::pipeline::internal {

// Where a stage's parts are in the file.
struct StageSource {
  std::string label = "stage";  // "stage 'train'", or "stage #3" without a name
  SourcePos name_pos;
  std::vector<SourcePos> needs_pos;    // parallel to Stage::needs
  std::vector<SourcePos> outputs_pos;  // parallel to Stage::outputs
};

// [A-Za-z0-9][A-Za-z0-9_.-]*, at most 128 bytes: pipeline, stage and model
// names, which also name files and folders.
bool IsValidName(const std::string& name);
std::string InvalidNameMessage(const std::string& kind, const std::string& name);

// Reads `node`, the stage at `index` (0-based) of `stages`, into *stage,
// recording every problem in `reader`. *stage holds what could be read.
void ReadStage(YamlReader& reader, const YAML::Node& node, int index, const ParseOptions& options,
               Stage* stage, StageSource* source);

}  // namespace mlops::pipeline::internal
