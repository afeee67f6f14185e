// PipelineCache: parsed pipelines by (name, definition digest), so that a run
// of an unchanged definition costs no YAML parse (~25 ms for 1000 stages),
// with what the scheduler derives from a definition computed once: each
// stage's params JSON, the plugins it uses, the files it declares as inputs.
// Thread-safety: Get may be called from any thread; a PreparedPipeline is
// immutable once returned and lives as long as any holder of it. Get is
// const: the cache changes what it remembers, never what it answers.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "mlops/registry/records.h"
#include "pipeline/pipeline.h"

namespace mlops::scheduler {

struct PreparedPipeline {
  pipeline::Pipeline pipeline;
  std::string error;                 // non-empty: the definition is invalid (parser message)
  std::vector<std::string> params;   // per stage: the params JSON its plugin receives
  std::vector<std::string> plugins;  // distinct `uses`, sorted
  std::vector<std::string> inputs;   // distinct declared inputs, sorted
};

// The params JSON handed to the plugin of `stage`: its `with` object plus
// the argv (or run), env and outputs the parser validated.
std::string StageParams(const pipeline::Stage& stage);

class PipelineCache {
 public:
  explicit PipelineCache(size_t capacity = 32) : capacity_(capacity) {}

  // The prepared form of `rec`'s definition, parsed on first use.
  std::shared_ptr<const PreparedPipeline> Get(const registry::PipelineRecord& rec) const;
  // Definitions parsed so far (a test hook).
  int parses() const;

 private:
  using Key = std::pair<std::string, std::string>;  // name, definition digest
  const size_t capacity_;
  mutable std::mutex mu_;
  // Most recently used first; protected by mu_.
  mutable std::list<std::pair<Key, std::shared_ptr<const PreparedPipeline>>> entries_;
  mutable int parses_ = 0;  // protected by mu_
};

}  // namespace mlops::scheduler
