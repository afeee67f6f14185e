// WatchedDataPaths: which absolute data paths the registered pipelines name
// in `on.data`, kept from one data scan to the next. A pipeline's
// definition is looked at again only when its digest changes, through the
// scheduler's PipelineCache (which parses it, or has already), so a
// periodic scan costs one registry read, not a YAML parse of every pipeline
// (tens of milliseconds for a 1000-stage one) nor a lookup per pipeline in
// a cache that holds only the most recent ones.
// Thread-safety: none; DataTriggers calls it under its scan lock.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mlops/registry/store.h"
#include "scheduler/pipeline_cache.h"

namespace mlops::server {

class WatchedDataPaths {
 public:
  // REQUIRES: `pipelines` outlives this object.
  explicit WatchedDataPaths(const scheduler::PipelineCache* pipelines) : pipelines_(pipelines) {}

  // path -> ids of the pipelines whose newest definition (in `pipelines`,
  // as ListPipelines gives them) names it. Pipelines no longer listed are
  // forgotten; a definition that does not parse watches nothing.
  std::map<std::string, std::vector<int64_t>> Update(const std::vector<registry::PipelineRecord>& pipelines);

  int lookups() const { return lookups_; }  // definitions looked at so far

 private:
  struct Known {
    std::string definition_sha256;
    std::vector<std::string> paths;  // absolute paths in on.data
  };
  const scheduler::PipelineCache* pipelines_;
  std::map<int64_t, Known> known_;  // by pipeline id
  int lookups_ = 0;
};

}  // namespace mlops::server
