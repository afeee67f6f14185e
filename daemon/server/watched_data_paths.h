// WatchedDataPaths: which absolute data paths the registered pipelines name
// in `on.data`, kept from one data scan to the next. A pipeline's
// definition is parsed again only when its digest changes, so a periodic
// scan costs one registry read, not a YAML parse of every pipeline (tens of
// milliseconds for a 1000-stage one).
// Thread-safety: none; DataTriggers calls it under its scan lock.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mlops/registry/store.h"

namespace mlops::server {

class WatchedDataPaths {
 public:
  // path -> ids of the pipelines whose newest definition (in `pipelines`,
  // as ListPipelines gives them) names it. Pipelines no longer listed are
  // forgotten; a definition that does not parse watches nothing.
  std::map<std::string, std::vector<int64_t>> Update(const std::vector<registry::PipelineRecord>& pipelines);

  int parses() const { return parses_; }  // definitions parsed so far

 private:
  struct Known {
    std::string definition_sha256;
    std::vector<std::string> paths;  // absolute paths in on.data
  };
  std::map<int64_t, Known> known_;  // by pipeline id
  int parses_ = 0;
};

}  // namespace mlops::server
