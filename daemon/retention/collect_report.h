// CollectReport: what one collection removed (or, in a dry run, would
// remove), what it kept because something still needs it, and what failed.
// Plain values. Thread-safety: none needed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mlops::retention {

struct Removal {
  std::string kind;    // "logs", "scratch", ..., "artifacts"
  std::string path;    // relative to the state folder
  int64_t bytes = 0;   // disk space it took
  std::string reason;  // which limit it is beyond
};

struct CollectReport {
  bool dry_run = false;
  std::vector<Removal> removals;
  int64_t bytes = 0;              // sum of removals' bytes
  int kept_in_use = 0;            // beyond a limit, kept: an active run or a model version needs it
  std::vector<std::string> errors;

  void Add(Removal r) {
    bytes += r.bytes;
    removals.push_back(std::move(r));
  }
};

}  // namespace mlops::retention
