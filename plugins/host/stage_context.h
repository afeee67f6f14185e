// The host's side of one plugin run() call: the opaque mlops_stage handle
// the plugin receives, and the mlops_host_api callbacks that read the spec
// and turn what the plugin reports into events (stage_protocol.h) and log
// lines on stdout (the stage log).
// Thread-safety: every callback may be called from any plugin thread.
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include "event_channel.h"
#include "mlops/plugin.h"
#include "stage_spec.h"

struct mlops_stage {
  const mlops::host::StageSpec* spec = nullptr;
  mlops::host::EventChannel* events = nullptr;
  const std::atomic<bool>* cancelled = nullptr;  // set on SIGTERM / SIGINT
  std::mutex mu;
  std::string error;  // guarded by mu; the last set_error wins
  bool scratch_made = false;  // guarded by mu; the scratch folder exists
};

namespace mlops::host {

// The callback table handed to run(); struct_size is sizeof(mlops_host_api).
mlops_host_api MakeHostApi();

// Writes a log line to stdout (the stage log).
void LogLine(mlops_stage* stage, mlops_log_level level, const std::string& message);

// Sends the one final result event.
void SendResult(EventChannel* events, mlops_status status, const std::string& error);

// The protocol name of a status ("OK", "ERROR", ...).
const char* StatusName(mlops_status status);

}  // namespace mlops::host
