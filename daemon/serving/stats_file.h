// The figures mlops-serve publishes in <state>/serving/stats.json (format in
// docs/serving.md), as the daemon reads them: per model, which versions serve
// and each version's cumulative counters since the server started.
// Thread-safety: plain values and a free function.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mlops/common/status.h"

namespace mlops::serving {

struct VersionCounters {
  std::string state;   // "AVAILABLE", "FAILED", ...
  std::string reason;  // why not available
  int64_t requests = 0;
  int64_t errors = 0;         // 5xx
  int64_t client_errors = 0;  // 4xx
  std::vector<double> latency_le_ms;    // bucket upper bounds
  std::vector<int64_t> latency_counts;  // cumulative per bound, then +Inf
  int64_t shadow_compared = 0;
  int64_t shadow_disagreed = 0;
};

struct ModelServing {
  int64_t production = 0;  // 0: none
  int64_t canary = 0;      // 0: none
  int canary_share_percent = 0;
  std::map<int64_t, VersionCounters> versions;
};

struct StatsSnapshot {
  int64_t pid = 0;
  int64_t started_ms = 0;  // counters restart when this or pid changes
  int64_t written_ms = 0;
  std::string listen;
  std::map<std::string, ModelServing> models;
};

// <state>/serving/stats.json.
std::string StatsPath(const std::string& state_dir);

// Parses the file's text. InvalidArgument naming the field on a document
// that is not format 1 or has a field of the wrong type.
Status ParseStats(const std::string& text, StatsSnapshot* out);
// Reads and parses `path`; NotFound when there is no file.
Status ReadStats(const std::string& path, StatsSnapshot* out);

}  // namespace mlops::serving
