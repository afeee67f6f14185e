// Read-only views of this process's place in the process tree, from /proc.
// Used by the stage host (a child subreaper that ends its plugin's leftovers)
// and by the daemon (which ends what escapes a crashed stage host).
// Thread-safety: free functions, safe from any thread.
#pragma once

#include <sys/types.h>

#include <vector>

namespace mlops::proctree {

// Direct children of this process, from every thread's
// /proc/self/task/<tid>/children (a child belongs to the thread that forked
// it; adopted orphans belong to whichever thread the kernel picked).
std::vector<pid_t> ListChildren();

struct ProcStat {
  char state = '?';  // 'R', 'S', 'Z' (zombie), ...
  pid_t pgid = 0;
  pid_t sid = 0;
};

// Reads /proc/<pid>/stat. False when the process no longer exists.
// Zombies keep their pgid and sid until reaped.
bool ReadProcStat(pid_t pid, ProcStat* out);

}  // namespace mlops::proctree
