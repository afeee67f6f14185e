#include "process/attempt_events.h"

#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "stage_protocol.h"

namespace mlops {
namespace {

using nlohmann::json;

int64_t WallMillisNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string StringField(const json& event, const char* key) {
  auto it = event.find(key);
  return it != event.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

void AttemptEvents::Feed(std::string_view bytes) {
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    std::string_view piece = bytes.substr(0, nl);
    if (skipping_long_line_) {
      if (nl != std::string_view::npos) skipping_long_line_ = false;
    } else if (partial_.size() + piece.size() > kMaxLineBytes) {
      partial_.clear();
      ++malformed_lines_;
      skipping_long_line_ = nl == std::string_view::npos;
    } else if (nl == std::string_view::npos) {
      partial_.append(piece);
    } else if (partial_.empty()) {
      DecodeLine(piece);
    } else {
      partial_.append(piece);
      DecodeLine(partial_);
      partial_.clear();
    }
    if (nl == std::string_view::npos) break;
    bytes.remove_prefix(nl + 1);
  }
}

void AttemptEvents::DecodeLine(std::string_view line) {
  if (line.empty()) return;
  json event = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!event.is_object() || !event.contains("type") || !event["type"].is_string()) {
    ++malformed_lines_;
    return;
  }
  const std::string type = event["type"].get<std::string>();
  try {
    if (type == "result") {
      has_result_ = true;
      result_status_ = StringField(event, "status");
      result_error_ = StringField(event, "error");
    } else if (type == "artifact") {
      outputs_.push_back({StringField(event, "name"), StringField(event, "path"),
                          StringField(event, "media_type")});
    } else if (type == "metric") {
      if (!event.contains("value") || !event["value"].is_number()) {
        ++malformed_lines_;
        return;
      }
      AttemptMetric m;
      m.key = StringField(event, "key");
      m.value = event["value"].get<double>();
      m.step = event.value("step", int64_t{0});
      m.time_ms = event.value("time_ms", WallMillisNow());
      metrics_.push_back(std::move(m));
    } else if (type == "param") {
      params_.emplace_back(StringField(event, "key"), StringField(event, "value"));
    } else if (type == "progress") {
      if (on_progress_) on_progress_(event.value("fraction", 0.0), StringField(event, "message"));
    }
  } catch (const json::exception&) {
    ++malformed_lines_;
  }
}

std::string DescribeHostExit(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    int sig = WTERMSIG(wait_status);
    const char* abbrev = ::sigabbrev_np(sig);
    return "stage host killed by signal " + std::to_string(sig) +
           (abbrev != nullptr ? std::string(" (SIG") + abbrev + ")" : std::string());
  }
  return "stage host exited with code " + std::to_string(WEXITSTATUS(wait_status));
}

std::string FormatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms % 3'600'000 == 0 && ms != 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0 && ms != 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + " ms";
}

AttemptOutcome ComposeOutcome(int64_t attempt_id, AttemptEvents* events, int wait_status,
                              StopReason stop, std::chrono::milliseconds timeout) {
  AttemptOutcome out;
  out.attempt_id = attempt_id;
  out.outputs = std::move(events->outputs());
  out.metrics = std::move(events->metrics());
  out.params = std::move(events->params());
  bool signalled = WIFSIGNALED(wait_status);
  if (signalled) out.signal = WTERMSIG(wait_status);
  if (WIFEXITED(wait_status)) out.exit_code = WEXITSTATUS(wait_status);
  const std::string host_exit = DescribeHostExit(wait_status);
  const bool reported_ok =
      events->has_result() && events->result_status() == stage_protocol::kResultOk;

  switch (stop) {
    case StopReason::kTimeout:
      out.kind = AttemptOutcome::Kind::kTimedOut;
      out.error = "timed out after " + FormatDuration(timeout);
      if (signalled) out.error += "; " + host_exit;
      return out;
    case StopReason::kCancel:
    case StopReason::kShutdown:
      out.kind = AttemptOutcome::Kind::kCancelled;
      out.error = stop == StopReason::kCancel ? "cancelled" : "cancelled: the stage runner shut down";
      if (signalled) out.error += "; " + host_exit;
      return out;
    case StopReason::kLogFailed:
      out.kind = AttemptOutcome::Kind::kFailed;
      out.error = "the stage log could not be written";
      if (signalled) out.error += "; " + host_exit;
      return out;
    case StopReason::kNone:
      break;
  }
  if (reported_ok && out.exit_code == 0) {
    out.kind = AttemptOutcome::Kind::kSucceeded;
    return out;
  }
  out.kind = AttemptOutcome::Kind::kFailed;
  if (events->has_result() && !reported_ok) {
    out.error = !events->result_error().empty()
                    ? events->result_error()
                    : "plugin reported " + events->result_status();
    if (signalled) out.error += "; then the " + host_exit;
  } else if (reported_ok) {
    out.error = "plugin reported success but the " + host_exit;
  } else {
    out.error = host_exit + (signalled ? "" : " without reporting a result");
  }
  return out;
}

}  // namespace mlops
