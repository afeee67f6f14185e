// AttemptCgroups: one cgroup v2 leaf per attempt that has a memory limit,
// where the daemon may make them: its own cgroup must be on a cgroup v2
// hierarchy, have the memory controller, be writable (delegated, e.g. a
// systemd unit with Delegate=yes, or root) and hold no process but the
// daemon's own. Setup() then moves the daemon into a leaf of its own
// (`<its cgroup>/mlopsd`: cgroup v2 allows controllers for children only
// in a cgroup without processes), enables the memory controller for the
// children and removes leaves an earlier daemon left. Each attempt's leaf
// is `<its cgroup>/attempt-<id>` with memory.max = the limit, swap off
// and memory.oom.group = 1 (an OOM kill ends the whole attempt); its stage
// host joins it before loading plugin code (stage_protocol.h).
// docs/limits.md compares this with the RLIMIT_DATA fallback.
//
// The file-system root and /proc/self/cgroup are parameters so that tests
// can run it on a fake tree.
// Thread-safety: none; the runner's thread owns it.
#pragma once

#include <cstdint>
#include <string>

#include "mlops/common/status.h"

namespace mlops {

class AttemptCgroups {
 public:
  // Not usable until Setup() succeeded.
  AttemptCgroups() = default;

  // Checks and prepares the daemon's cgroup, moving process `pid` (the
  // daemon) into its leaf. An error says why leaves cannot be made here;
  // nothing is changed then, except by a failed last step.
  Status Setup(const std::string& cgroup_fs = "/sys/fs/cgroup",
               const std::string& self_cgroup_file = "/proc/self/cgroup", int pid = 0);

  bool usable() const { return !base_.empty(); }
  const std::string& base() const { return base_; }

  // Makes the leaf of `attempt_id` limited to `memory_bytes`; *path is its
  // folder.
  Status Create(int64_t attempt_id, int64_t memory_bytes, std::string* path) const;
  // True when the kernel's OOM killer killed in the leaf (memory.events).
  static bool OomKilled(const std::string& path);
  // Removes the leaf; false when it could not be removed (it still holds
  // processes).
  static bool Remove(const std::string& path);

 private:
  std::string base_;  // the daemon's cgroup folder once Setup() succeeded
};

}  // namespace mlops
