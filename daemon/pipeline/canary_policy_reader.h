// ReadCanaryPolicy: `model.promote.canary` of a pipeline file, checked on its
// own (keys, types, ranges; steps increasing). The grammar is in
// docs/pipeline-format.md.
//
// Private to mlops_pipeline. Thread-safety: see YamlReader.
#pragma once

#include "pipeline/pipeline.h"
#include "pipeline/yaml_reader.h"

namespace mlops::pipeline::internal {

// Reads `e` (the `canary` entry) into *out, recording every problem in
// `reader`; *out keeps the defaults for what is missing or refused.
void ReadCanaryPolicy(YamlReader& reader, const MapEntry& e, CanaryPolicy* out);

}  // namespace mlops::pipeline::internal
