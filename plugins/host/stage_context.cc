#include "stage_context.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "mlops/common/files.h"

namespace mlops::host {
namespace {

using nlohmann::json;

int64_t WallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* LevelName(mlops_log_level level) {
  switch (level) {
    case MLOPS_LOG_DEBUG: return "debug";
    case MLOPS_LOG_INFO: return "info";
    case MLOPS_LOG_WARN: return "warn";
    case MLOPS_LOG_ERROR: return "error";
  }
  return "info";
}

// One event line; invalid UTF-8 is replaced, never thrown.
std::string EventText(const json& event) {
  return event.dump(-1, ' ', false, json::error_handler_t::replace);
}

void Send(mlops_stage* stage, const json& event) { stage->events->Send(EventText(event)); }

// Output artifacts count only with a successful result: they go out with
// the next event (at the latest the result), not each on its own.
void Hold(mlops_stage* stage, const json& event) { stage->events->Hold(EventText(event)); }

// Every callback body runs inside Guard: no C++ exception may reach the
// plugin, whatever language it is written in.
template <typename R, typename F>
R Guard(R on_exception, F&& body) {
  try {
    return body();
  } catch (...) {
    return on_exception;
  }
}

const char* CbParamsJson(mlops_stage* stage) { return stage->spec->params_json.c_str(); }

size_t CbInputCount(mlops_stage* stage) { return stage->spec->inputs.size(); }

mlops_status CbInputAt(mlops_stage* stage, size_t index, const char** name, const char** path) {
  if (index >= stage->spec->inputs.size()) return MLOPS_NOT_FOUND;
  const StageInput& in = stage->spec->inputs[index];
  if (name != nullptr) *name = in.name.c_str();
  if (path != nullptr) *path = in.path.c_str();
  return MLOPS_OK;
}

const char* CbWorkDir(mlops_stage* stage) { return stage->spec->work_dir.c_str(); }

// Made on first use (most stages never ask), with any missing parent,
// private to the service user.
const char* CbScratchDir(mlops_stage* stage) {
  const std::string& dir = stage->spec->scratch_dir;
  std::lock_guard<std::mutex> lock(stage->mu);
  if (!stage->scratch_made && !dir.empty()) stage->scratch_made = MakeDirs(dir, 0700).ok();
  return dir.c_str();
}

void CbLog(mlops_stage* stage, mlops_log_level level, const char* message) {
  Guard(0, [&] {
    LogLine(stage, level, message != nullptr ? message : "");
    return 0;
  });
}

void CbProgress(mlops_stage* stage, double fraction, const char* message) {
  Guard(0, [&] {
    if (!std::isfinite(fraction)) return 0;
    fraction = std::fmin(1.0, std::fmax(0.0, fraction));
    Send(stage, json{{"type", "progress"},
                     {"fraction", fraction},
                     {"message", message != nullptr ? message : ""}});
    return 0;
  });
}

void CbMetric(mlops_stage* stage, const char* key, double value, int64_t step) {
  Guard(0, [&] {
    if (key == nullptr || key[0] == '\0') return 0;
    if (!std::isfinite(value)) {
      LogLine(stage, MLOPS_LOG_WARN, std::string("metric ") + key + " is not finite; dropped");
      return 0;
    }
    Send(stage, json{{"type", "metric"},
                     {"key", key},
                     {"value", value},
                     {"step", step},
                     {"time_ms", WallMillis()}});
    return 0;
  });
}

mlops_status CbArtifact(mlops_stage* stage, const char* name, const char* path,
                        const char* media_type) {
  return Guard(MLOPS_ERROR, [&] {
    if (path == nullptr || path[0] == '\0') return MLOPS_BAD_PARAMS;
    std::filesystem::path p(path);
    if (p.is_relative()) p = std::filesystem::path(stage->spec->work_dir) / p;
    std::string abs = p.lexically_normal().string();
    struct stat st;
    if (::stat(abs.c_str(), &st) != 0) {
      LogLine(stage, MLOPS_LOG_ERROR, "artifact " + abs + " does not exist");
      return MLOPS_NOT_FOUND;
    }
    Hold(stage, json{{"type", "artifact"},
                     {"name", name != nullptr && name[0] != '\0' ? name : path},
                     {"path", abs},
                     {"media_type", media_type != nullptr ? media_type : ""}});
    return MLOPS_OK;
  });
}

int CbIsCancelled(mlops_stage* stage) {
  return stage->cancelled->load(std::memory_order_relaxed) ? 1 : 0;
}

void CbSetError(mlops_stage* stage, const char* message) {
  Guard(0, [&] {
    std::lock_guard<std::mutex> lock(stage->mu);
    stage->error = message != nullptr ? message : "";
    return 0;
  });
}

void CbParam(mlops_stage* stage, const char* key, const char* value_json) {
  Guard(0, [&] {
    if (key == nullptr || key[0] == '\0') return 0;
    std::string value = value_json != nullptr ? value_json : "null";
    // The daemon stores JSON: text that is not JSON is kept as a JSON string.
    if (!json::accept(value)) value = json(value).dump();
    Send(stage, json{{"type", "param"}, {"key", key}, {"value", value}});
    return 0;
  });
}

}  // namespace

mlops_host_api MakeHostApi() {
  mlops_host_api api{};
  api.struct_size = sizeof api;
  api.params_json = CbParamsJson;
  api.input_count = CbInputCount;
  api.input_at = CbInputAt;
  api.work_dir = CbWorkDir;
  api.scratch_dir = CbScratchDir;
  api.log = CbLog;
  api.progress = CbProgress;
  api.metric = CbMetric;
  api.artifact = CbArtifact;
  api.is_cancelled = CbIsCancelled;
  api.set_error = CbSetError;
  api.param = CbParam;
  return api;
}

void LogLine(mlops_stage* stage, mlops_log_level level, const std::string& message) {
  static std::mutex stdout_mu;
  {
    std::string line = std::string("[") + LevelName(level) + "] " + message + "\n";
    std::lock_guard<std::mutex> lock(stdout_mu);
    WriteAll(STDOUT_FILENO, line);
  }
}

void SendResult(EventChannel* events, mlops_status status, const std::string& error) {
  events->Send(EventText(json{{"type", "result"}, {"status", StatusName(status)}, {"error", error}}));
}

const char* StatusName(mlops_status status) {
  switch (status) {
    case MLOPS_OK: return "OK";
    case MLOPS_ERROR: return "ERROR";
    case MLOPS_CANCELLED: return "CANCELLED";
    case MLOPS_BAD_PARAMS: return "BAD_PARAMS";
    case MLOPS_NOT_FOUND: return "NOT_FOUND";
  }
  return "ERROR";
}

}  // namespace mlops::host
