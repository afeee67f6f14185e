// Loads one plugin shared object into the stage host and checks that it
// speaks this host's ABI. Only the stage host links this: the daemon never
// maps plugin code.
#pragma once

#include <string>

#include "mlops/plugin.h"

namespace mlops::host {

struct LoadedPlugin {
  void* handle = nullptr;  // from dlopen; never closed (the host runs once)
  mlops_plugin_info info{};
};

// dlopens `path` (RTLD_NOW | RTLD_LOCAL), resolves MLOPS_PLUGIN_ENTRY_SYMBOL,
// calls it and refuses an ABI major other than MLOPS_PLUGIN_ABI_MAJOR.
// On failure returns false with a message naming the file and the reason
// (the missing symbol, or both ABI versions) in *error.
bool LoadPlugin(const std::string& path, LoadedPlugin* out, std::string* error);

}  // namespace mlops::host
