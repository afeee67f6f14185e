// PipelineLibrary: registers the pipeline files found in the configured
// folders (`*.yaml`/`*.yml` directly inside, or `<sub>/pipeline.yaml`). Each
// valid file becomes a registry pipeline whose runs start from a copy of the
// file's folder; an invalid one is reported with its errors and skipped.
// Thread-safety: Scan may be called from any thread (serialised inside).
#pragma once

#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "mlops/common/status.h"
#include "mlops/registry/store.h"

namespace mlops::server {

class PipelineLibrary {
 public:
  using KnownPlugins = std::function<std::set<std::string>()>;
  PipelineLibrary(registry::Store* store, std::vector<std::string> dirs, KnownPlugins plugins)
      : store_(store), dirs_(std::move(dirs)), plugins_(std::move(plugins)) {}

  // Registers every valid pipeline; *problems gets one line per invalid file
  // error. Fails only when a folder cannot be read or two files use one name.
  Status Scan(std::vector<std::string>* problems);

 private:
  registry::Store* store_;
  std::vector<std::string> dirs_;
  KnownPlugins plugins_;
  std::mutex mu_;
};

}  // namespace mlops::server
