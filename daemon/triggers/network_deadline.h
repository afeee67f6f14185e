// Deadlines for libgit2's network transfers, used inside mlops-git-fetch
// (git_fetch_child.h). Internal to the triggers library.
//
// libgit2 1.5 has no network timeout (GIT_OPT_SET_SERVER_TIMEOUT arrived in
// 1.7), and its transfer callbacks only run when data arrives, so a remote
// that accepts and never answers would block a fetch for ever. The helper
// registers its own GIT_STREAM_STANDARD socket stream: it connects with a
// deadline and registers every socket with the NetworkDeadline of the
// thread that opened it; when the deadline passes, a watchdog thread shuts
// those sockets down, which wakes whoever is blocked on them (libgit2's
// git:// and http transports, mbedTLS for https, and libssh2, which reads
// the socket directly). The registration is process-wide, which is one more
// reason it lives in the helper and not in the daemon. The daemon's kill of
// the helper remains the bound of last resort.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "mlops/common/status.h"

namespace mlops::triggers::internal {

// The deadline of the libgit2 operation running on the thread that created
// it, for as long as it lives. Not copyable; one per thread at a time.
class NetworkDeadline {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  explicit NetworkDeadline(TimePoint deadline);
  ~NetworkDeadline();
  NetworkDeadline(const NetworkDeadline&) = delete;
  NetworkDeadline& operator=(const NetworkDeadline&) = delete;

  // The deadline installed on the calling thread; nullptr when none.
  static NetworkDeadline* Current();

  TimePoint deadline() const { return deadline_; }
  bool expired();
  // Adds a socket to shut down at the deadline. False (and not added) when
  // the deadline has already passed.
  bool Register(int fd);
  // REQUIRES: called before `fd` is closed.
  void Unregister(int fd);

 private:
  void Watch();

  const TimePoint deadline_;
  NetworkDeadline* const previous_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;     // protected by mu_
  bool expired_ = false;  // protected by mu_
  std::set<int> fds_;     // protected by mu_
  std::thread watchdog_;
};

// Registers the deadline-aware socket stream with libgit2 (process-wide).
// REQUIRES: libgit2 initialised; call again after every re-initialisation
// (git_libgit2_shutdown to zero forgets it). Idempotent.
Status InstallDeadlineSocketStream();

}  // namespace mlops::triggers::internal
