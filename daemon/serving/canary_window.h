// One evaluation window of a canary: the canary's and production's figures
// over the window (differences of the cumulative counters mlops-serve
// publishes) and whether they keep within the policy's limits.
// docs/serving.md "Canary" describes the rules.
// Thread-safety: plain values and free functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/pipeline.h"
#include "serving/shared/serve_stats.h"

namespace mlops::serving {

struct WindowFigures {
  int64_t requests = 0;
  int64_t errors = 0;
  double error_rate = 0;
  double p99_ms = 0;  // upper bound of the bucket holding the 99th percentile; +inf past the last
  int64_t shadow_compared = 0;
  int64_t shadow_disagreed = 0;
  double shadow_disagreement = 0;
};

struct WindowVerdict {
  bool decided = false;     // false: too few requests, nothing judged
  std::string no_decision;  // why not decided
  bool breached = false;
  std::vector<std::string> breaches;  // each broken limit, with its figures
  WindowFigures canary, production;
};

// The counters gained between `before` and `after` (both from one server
// run: the caller checks pid and started_ms). A counter that went down is
// treated as restarted from zero.
VersionStats Delta(const VersionStats& before, const VersionStats& after);
WindowFigures Figures(const VersionStats& delta);

// Judges one window from the deltas of the canary and of production.
WindowVerdict JudgeWindow(const pipeline::CanaryPolicy& policy, const VersionStats& canary,
                          const VersionStats& production);

// The figures as JSON text, for audit rows and the status route.
std::string VerdictJson(const WindowVerdict& v);

}  // namespace mlops::serving
