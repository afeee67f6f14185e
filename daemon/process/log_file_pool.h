// LogFilePool: empty stage-log files made ahead of time. Starting an attempt
// renames one of them to the attempt's log path instead of creating a file
// there, so that no inode is allocated between a stage's request and its
// command: on ext4 with many recently deleted inodes (a busy state dir),
// allocating one costs 0.06-0.4 ms of system time, more than the rest of
// the daemon's work for an exec stage.
//
// The spares live in one folder on the same file system as the logs (a
// rename cannot cross file systems; such a rename falls back to creating).
// They are empty regular files with the logs' mode; files an earlier daemon
// left there are reused. A log path that already exists is opened for
// appending, never replaced (RENAME_NOREPLACE).
//
// Thread-safety: none; one thread (the runner's loop) owns the pool.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mlops {

class LogFilePool {
 public:
  // An empty `dir` makes a pool that never has spares: every log is
  // created in place. `dir` is created (0700) on the first Refill().
  LogFilePool(std::string dir, size_t target, mode_t mode);
  LogFilePool(const LogFilePool&) = delete;
  LogFilePool& operator=(const LogFilePool&) = delete;

  // Opens `log_path` for appending (O_WRONLY | O_APPEND | O_CLOEXEC): a spare
  // moved into place when the path does not exist yet and a spare is at
  // hand, else open(O_CREAT) with the pool's mode. Returns the descriptor,
  // or -1 with errno set.
  int OpenLog(const std::string& log_path);

  // True when fewer than `target` spares are ready (and the folder works).
  bool WantsRefill() const;
  // Makes one spare. False when none could be made; the pool then stops
  // trying until an OpenLog finds it empty (or for good when its spares
  // cannot be renamed to where the logs are).
  bool Refill();

  size_t spares() const { return spares_.size(); }
  uint64_t taken() const { return taken_; }  // logs that were spares

 private:
  void AdoptLeftovers();

  const std::string dir_;
  const size_t target_;
  const mode_t mode_;
  std::vector<std::string> spares_;  // full paths, ready to be renamed
  uint64_t next_name_ = 0;
  uint64_t taken_ = 0;
  bool scanned_ = false;
  bool broken_ = false;        // the last refill failed: not tried again until a log is opened
  bool cross_device_ = false;  // spares cannot be renamed to the logs: never tried again
};

}  // namespace mlops
