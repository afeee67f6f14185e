// ReadDriftPolicy: the `on.drift` mapping of a pipeline, checked key by key
// (grammar in docs/pipeline-format.md, "Drift policy"), every problem
// recorded with its position.
//
// Private to mlops_pipeline. Thread-safety: see YamlReader.
#pragma once

#include "pipeline/yaml_reader.h"

namespace mlops::pipeline::internal {

// Reads e.value (the `drift` entry of `on`) into *policy; false when any
// problem was recorded. *policy holds what could be read.
bool ReadDriftPolicy(YamlReader& reader, const MapEntry& e, DriftPolicy* policy);

}  // namespace mlops::pipeline::internal
