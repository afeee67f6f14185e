// PluginResolver: finds the plugin file for a `uses:` name. The daemon adapts
// the process layer's PluginCatalog to it; tests use a map.
#pragma once

#include <string>
#include <vector>

#include "mlops/common/status.h"

namespace mlops::scheduler {

struct PluginRef {
  std::string name;
  std::string version;
  std::string sha256;  // digest of the plugin file
  std::string path;    // absolute
};

class PluginResolver {
 public:
  virtual ~PluginResolver() = default;
  // NotFound (naming the known plugins) when there is no such plugin.
  virtual Status Resolve(const std::string& name, PluginRef* out) = 0;
  virtual std::vector<std::string> Names() = 0;
};

}  // namespace mlops::scheduler
