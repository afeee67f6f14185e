// ServeStats: the figures mlops-serve publishes every second in
// <state>/serving/stats.json for mlopsd (canary controller, `mlctl serve
// status`) to read. Format (docs/serving.md "Server and protocols"):
// counters are cumulative since started_ms; a new pid or started_ms means
// they restarted. `production`/`canary` are 0 when the model has none.
// Thread-safety: pure functions over values; the writer replaces the file
// atomically (rename), so a reader never sees half a file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mlops/common/status.h"

namespace mlops::serving {

inline constexpr int kServeStatsFormat = 1;

struct VersionStats {
  std::string state;   // "LOADING", "AVAILABLE", "FAILED", "UNLOADING"
  std::string reason;  // why FAILED; empty otherwise
  std::string artifact_sha256;
  std::string key_id;  // signing key that verified it
  int64_t requests = 0;       // answered prediction requests
  int64_t errors = 0;         // 5xx among them
  int64_t client_errors = 0;  // 4xx among them
  std::vector<double> latency_le_ms;   // bucket bounds, increasing
  std::vector<int64_t> latency_counts; // cumulative per bound, then +Inf (= requests)
  int64_t shadow_compared = 0;
  int64_t shadow_disagreed = 0;
};

struct ModelStats {
  int64_t production = 0;
  int64_t canary = 0;
  int canary_share_percent = 0;
  std::map<int64_t, VersionStats> versions;
};

struct ServeStats {
  int format = kServeStatsFormat;
  int64_t pid = 0;
  int64_t started_ms = 0;
  int64_t written_ms = 0;
  std::string listen;
  std::map<std::string, ModelStats> models;
};

// The latency bucket bounds every version uses (milliseconds).
const std::vector<double>& LatencyBoundsMs();

std::string ServeStatsPath(const std::string& state_dir);  // <state>/serving/stats.json
std::string ServeAddrPath(const std::string& state_dir);   // <state>/mlops-serve.addr

std::string ServeStatsToJson(const ServeStats& stats);
// InvalidArgument naming the field for anything that is not this format.
Status ParseServeStats(std::string_view json, ServeStats* out);

// Writes atomically (0644), creating <state>/serving when missing.
Status WriteServeStats(const std::string& state_dir, const ServeStats& stats);
// NotFound when mlops-serve never wrote one.
Status ReadServeStats(const std::string& state_dir, ServeStats* out);

}  // namespace mlops::serving
