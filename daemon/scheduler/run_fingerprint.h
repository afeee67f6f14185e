// The run fingerprint: one SHA-256 over everything that decides the results
// of a whole run, so that an unchanged pipeline is found up to date with one
// comparison instead of one cache lookup per stage (make's no-op):
//   the pipeline's name and definition digest, the source folder, the
//   commit, name + version + file digest of every plugin its stages use, and
//   the digest of every declared input file as found when the run is
//   submitted (a relative input missing from the source folder is recorded
//   as made by a stage).
// Like the stage cache key, it does not cover files a stage reads without
// declaring them.
#pragma once

#include <map>
#include <string>

#include "mlops/registry/records.h"
#include "scheduler/pipeline_cache.h"
#include "scheduler/plugin_resolver.h"
#include "scheduler/workspace.h"

namespace mlops::scheduler {

struct RunInputs {
  // Empty when it cannot be computed (an unknown plugin, a missing or
  // unreadable absolute input): such a run is never up to date.
  std::string fingerprint;
  // Declared input, as written -> its digest at submission; "" for a
  // relative input not in the source folder (a stage of the run makes it).
  std::map<std::string, std::string> files;
};

// Digests are read through `workspace` (its stat cache spares unchanged
// files). REQUIRES: prepared.error is empty.
RunInputs ComputeRunInputs(const PreparedPipeline& prepared, const registry::PipelineRecord& rec,
                           const std::string& source_dir, const std::string& commit,
                           PluginResolver* plugins, Workspace* workspace);

}  // namespace mlops::scheduler
