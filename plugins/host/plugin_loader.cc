#include "plugin_loader.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstddef>

#include "plugin_signature.h"

namespace mlops::host {

bool LoadPlugin(const std::string& path, LoadedPlugin* out, std::string* error) {
  // A required signature is checked before any of the plugin's code is
  // mapped; the checked descriptor is what gets loaded.
  int checked_fd = -1;
  if (!CheckPluginSignature(path, &checked_fd, error)) return false;
  const std::string load_path =
      checked_fd >= 0 ? "/proc/self/fd/" + std::to_string(checked_fd) : path;
  void* handle = ::dlopen(load_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (checked_fd >= 0) ::close(checked_fd);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    *error = "cannot load plugin " + path + ": " + (why ? why : "unknown dlopen error");
    return false;
  }
  ::dlerror();
  void* sym = ::dlsym(handle, MLOPS_PLUGIN_ENTRY_SYMBOL);
  if (sym == nullptr) {
    *error = "plugin " + path + " does not export the entry symbol '" +
             MLOPS_PLUGIN_ENTRY_SYMBOL + "'";
    return false;
  }
  auto entry = reinterpret_cast<mlops_plugin_entry_fn>(sym);
  mlops_plugin_info info{};
  info.struct_size = sizeof info;
  int rc = entry(&info);
  if (rc != 0) {
    *error = "plugin " + path + ": entry function failed with code " + std::to_string(rc);
    return false;
  }
  // The major is checked first: under another major nothing past it can be
  // trusted, not even the name.
  if (info.struct_size < offsetof(mlops_plugin_info, abi_minor)) {
    *error = "plugin " + path + " did not fill its ABI version";
    return false;
  }
  if (info.abi_major != MLOPS_PLUGIN_ABI_MAJOR) {
    *error = "plugin " + path + " was built for ABI " + std::to_string(info.abi_major) +
             ", this host speaks ABI " + std::to_string(MLOPS_PLUGIN_ABI_MAJOR);
    return false;
  }
  if (info.struct_size < offsetof(mlops_plugin_info, run) + sizeof info.run ||
      info.struct_size > sizeof info) {
    *error = "plugin " + path + " filled " + std::to_string(info.struct_size) +
             " bytes of mlops_plugin_info, expected " + std::to_string(sizeof info);
    return false;
  }
  if (info.name == nullptr || info.name[0] == '\0' || info.version == nullptr ||
      info.run == nullptr) {
    *error = "plugin " + path + " left its name, version or run function empty";
    return false;
  }
  out->handle = handle;
  out->info = info;
  return true;
}

}  // namespace mlops::host
