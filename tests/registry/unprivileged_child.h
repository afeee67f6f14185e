// RunUnprivileged: runs a check in a forked child that has dropped to the
// user and group `nobody` (65534, no supplementary groups, so no
// capabilities), for the twin of a test that behaves differently as root.
// The child only calls `check` and _exit()s with its result: no GoogleTest
// assertions run there. REQUIRES: the caller is root (geteuid() == 0).
// Thread-safety: call from the test's own thread only (fork).
#pragma once

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

namespace mlops::testing {

inline constexpr uid_t kNobody = 65534;

// The child's exit code: `check()`'s value (0..99 by convention), 100 when
// the child could not drop privileges, -1 when it did not exit normally.
inline int RunUnprivileged(const std::function<int()>& check) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setresgid(kNobody, kNobody, kNobody) != 0 ||
        ::setresuid(kNobody, kNobody, kNobody) != 0) {
      ::_exit(100);
    }
    ::_exit(check());
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

}  // namespace mlops::testing
