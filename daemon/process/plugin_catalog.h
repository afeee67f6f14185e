// PluginCatalog: the plugins the daemon may run, found in configured
// directories. Each `*.so` is described by the stage host
// (`mlops-stage --describe`), never loaded into the daemon, and pinned by
// the SHA-256 of its file.
//
// Refused, with the reason, and never run: a directory or file that is
// writable by group or others or owned by another user than root or the
// daemon's; a file the stage host cannot load (bad ABI major, no entry
// symbol, not a shared object); every file of a name that two files share.
// A bad plugin never hides the good ones.
//
// Start-up: plugins are described in parallel. With a description cache
// file, a plugin whose file (device, inode, size, mtime, ctime) and stage
// host file are unchanged since it was described and hashed is neither
// described nor hashed again: its digest and description come from the
// cache (ctime is in the key because no user can set it; a file changed
// within racy_window of its description is not remembered). A missing or
// unreadable cache is described afresh and rewritten; refusals are never
// cached. See docs/operations.md.
// Thread-safety: immutable once built; safe to share.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "mlops/common/status.h"

namespace mlops {

struct PluginInfo {
  std::string name;     // what pipelines write after `uses:`
  std::string version;  // as the plugin reports it
  std::string path;     // absolute, symlinks resolved
  std::string sha256;   // lower-case hex digest of the file
  int abi_major = 0;
  int abi_minor = 0;
};

struct RejectedPlugin {
  std::string path;   // the file or directory
  std::string error;  // why, naming the path (and its mode, where that is why)
};

struct PluginScanOptions {
  std::chrono::milliseconds describe_timeout{std::chrono::seconds(10)};  // for each plugin
  std::string cache_file;  // the description cache (see above); empty for none
  std::chrono::milliseconds racy_window{std::chrono::seconds(2)};
};

class PluginCatalog {
 public:
  // Scans `dirs` in order (files sorted by name in each) and describes each
  // plugin with `stage_host_path --describe`, several at once.
  static PluginCatalog Scan(const std::vector<std::string>& dirs,
                            const std::string& stage_host_path,
                            const PluginScanOptions& options = {});

  // Plugins described by the stage host (not taken from the cache) in the
  // Scan that made this catalog (tests).
  int described() const { return described_; }

  // On success fills *out. NotFound naming the known plugins otherwise (and
  // the rejection, when a file of that name was refused).
  Status Find(const std::string& name, PluginInfo* out) const;

  const std::map<std::string, PluginInfo>& plugins() const { return plugins_; }
  const std::vector<RejectedPlugin>& rejected() const { return rejected_; }

 private:
  std::map<std::string, PluginInfo> plugins_;
  std::vector<RejectedPlugin> rejected_;
  int described_ = 0;
};

}  // namespace mlops
