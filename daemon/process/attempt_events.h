// AttemptEvents: the daemon's half of the stage host's event stream
// (plugins/host/stage_protocol.h). It splits the bytes read from the event
// pipe into lines and collects what they report; ComposeOutcome then turns
// that, the host's wait status and any stop the runner ordered into the one
// AttemptOutcome of the attempt.
// Thread-safety: none; one attempt's events are read by one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "process/stage_runner.h"

namespace mlops {

class AttemptEvents {
 public:
  using OnProgress = std::function<void(double fraction, const std::string& message)>;

  // Lines longer than this are dropped whole: a plugin cannot make the
  // daemon buffer without bound.
  static constexpr size_t kMaxLineBytes = 1 << 20;

  explicit AttemptEvents(OnProgress on_progress = nullptr)
      : on_progress_(std::move(on_progress)) {}

  // Consumes a chunk of the stream; whole lines are decoded at once, a
  // trailing partial line waits for the next chunk. Lines that are not
  // protocol events are counted and ignored.
  void Feed(std::string_view bytes);

  bool has_result() const { return has_result_; }
  const std::string& result_status() const { return result_status_; }
  const std::string& result_error() const { return result_error_; }
  int malformed_lines() const { return malformed_lines_; }

  std::vector<OutputArtifact>& outputs() { return outputs_; }
  std::vector<AttemptMetric>& metrics() { return metrics_; }
  std::vector<std::pair<std::string, std::string>>& params() { return params_; }

 private:
  void DecodeLine(std::string_view line);

  OnProgress on_progress_;
  std::string partial_;
  bool skipping_long_line_ = false;
  bool has_result_ = false;
  std::string result_status_;
  std::string result_error_;
  int malformed_lines_ = 0;
  std::vector<OutputArtifact> outputs_;
  std::vector<AttemptMetric> metrics_;
  std::vector<std::pair<std::string, std::string>> params_;
};

// Why the runner ended an attempt itself, if it did.
// kLogFailed: the stage log could not be written (a full disk, say).
enum class StopReason { kNone, kTimeout, kCancel, kShutdown, kLogFailed };

// Builds the outcome of an attempt whose host has exited with `wait_status`
// (as from waitpid). Succeeded only if a result "OK" arrived AND the host
// exited 0 AND the runner did not stop it. Moves the collected outputs,
// metrics and params out of `events`.
AttemptOutcome ComposeOutcome(int64_t attempt_id, AttemptEvents* events, int wait_status,
                              StopReason stop, std::chrono::milliseconds timeout);

// "stage host killed by signal 11 (SIGSEGV)" or "stage host exited with code 3".
std::string DescribeHostExit(int wait_status);

// "1500 ms", "30s", "2m", "1h".
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace mlops
