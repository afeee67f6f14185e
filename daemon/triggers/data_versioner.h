// DataVersioner: content digests of watched data paths, so that a changed
// dataset becomes a new data version and an unchanged one costs no reads.
//
// A watched file's digest is the SHA-256 of its bytes (what `sha256sum`
// prints). A watched folder is hashed as a whole: SHA-256 of the text
// "mlops-tree-v1\n" followed, for every regular file below it in byte order
// of the relative path, by  <relative path> NUL <hex digest> LF.  Only file
// contents and relative paths count: modes, times, owners and empty folders
// do not. A watched path that is itself a symbolic link is followed (a
// "current -> v3" link is a common way to publish data); a symbolic link,
// FIFO, socket or device INSIDE a watched folder makes that path's scan fail
// with InvalidArgument naming it: following links could leave the tree or
// loop, and hashing the link text would miss changes to what it points to.
//
// Stat cache: a file whose (device, inode, size, mtime_ns, ctime_ns) are
// those recorded when it was last read is not read again. ctime is in the
// key because no user can set it: editing a file and restoring its mtime
// still changes its ctime. A file read less than `racy_window` after its
// last change is read again at the next scan (its timestamps could still
// be those of a later, same-tick write). The cache and the last digest of
// each watched path persist in `state_file` (versioned text format), so a
// restart neither re-reads everything nor reports everything as changed.
//
// Thread-safety: Scan() calls are serialised inside; the object may be
// shared between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mlops/common/status.h"

namespace mlops::triggers {

// The seam through which file contents are read, so that tests can count
// reads.
class FileDigester {
 public:
  virtual ~FileDigester() = default;
  // Reads the open regular file `fd` from its current offset to the end.
  // On success *sha256 holds the lower-case hex digest and *size the bytes
  // read. `path` is for messages only; fd stays open.
  virtual Status Digest(int fd, const std::string& path, std::string* sha256,
                        uint64_t* size) = 0;
};

// SHA-256 through the common Sha256 (OpenSSL EVP) with 1 MiB reads.
class Sha256FileDigester final : public FileDigester {
 public:
  Status Digest(int fd, const std::string& path, std::string* sha256, uint64_t* size) override;
};

struct DataScanResult {
  std::string path;         // the watched path, as configured
  Status status;            // this path's outcome; the others are scanned regardless
  std::string sha256;       // empty unless status is OK
  uint64_t size = 0;        // bytes of content (all files of a folder)
  uint64_t files = 0;       // regular files (1 for a watched file)
  uint64_t files_read = 0;  // files whose contents had to be read this scan
  // The digest differs from this path's last successful scan (true on the
  // first one ever): a new data version. False when status is not OK.
  bool changed = false;
};

class DataVersioner {
 public:
  struct Options {
    std::vector<std::string> paths;  // absolute; files or folders
    // Where the stat cache persists (written atomically after a scan that
    // changed it); empty: kept in memory only.
    std::string state_file;
    // Reads file contents; nullptr: a Sha256FileDigester. Not owned; must
    // outlive the versioner.
    FileDigester* digester = nullptr;
    // Negative: twice the resolution of the clock the kernel stamps files
    // with (CLOCK_REALTIME_COARSE), a few milliseconds.
    std::chrono::nanoseconds racy_window{-1};
  };

  // InvalidArgument for a relative or empty watched path. A missing,
  // unreadable or unknown-version state file is not an error: the versioner
  // starts with an empty cache (every file is read once) and
  // state_load_status() says why.
  static Status Open(Options options, std::unique_ptr<DataVersioner>* out);
  ~DataVersioner();
  DataVersioner(const DataVersioner&) = delete;
  DataVersioner& operator=(const DataVersioner&) = delete;

  // OK when the state file was loaded; NotFound when there was none;
  // Corruption or InvalidArgument (naming the file) when it was ignored.
  const Status& state_load_status() const { return state_load_status_; }

  // Scans every watched path, in configured order, one result each in
  // *results (always filled). Returns OK, or the IOError of writing the
  // state file (the results are valid either way).
  Status Scan(std::vector<DataScanResult>* results);

 private:
  struct State;
  explicit DataVersioner(Options options);

  const Options options_;
  Status state_load_status_;
  std::mutex mu_;
  std::unique_ptr<State> state_;  // protected by mu_
};

}  // namespace mlops::triggers
