// StageIo: the ML plugins' view of the host API (mlops/plugin.h): params as
// JSON, inputs looked up by name, outputs written into the work dir under
// their artifact name (so a cached result restores to the same place), and
// logging / metrics / progress / cancel. One instance per run() call.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "mlops/plugin.h"

namespace mlops::ml {

class StageIo {
 public:
  StageIo(mlops_stage* stage, const mlops_host_api* host) : stage_(stage), host_(host) {}

  // The stage's `with` (and the host's extra keys) as a JSON object. Returns
  // false with *error set when the text is not a JSON object.
  bool Params(nlohmann::json* out, std::string* error) const;
  // Absolute path of the input artifact called `name` (an upstream output or
  // a declared input), or nullopt.
  std::optional<std::string> Input(const std::string& name) const;
  // Resolves a path from params: absolute as is, else relative to work_dir.
  std::string Resolve(const std::string& path) const;
  std::string WorkDir() const { return host_->work_dir(stage_); }
  std::string ScratchDir() const { return host_->scratch_dir(stage_); }
  // Absolute path in the work dir where the output `name` is written.
  std::string OutputPath(const std::string& name) const { return WorkDir() + "/" + name; }
  // Registers <work_dir>/<name> as the output artifact `name`.
  bool Output(const std::string& name, const char* media_type, std::string* error) const;

  void Info(const std::string& line) const { host_->log(stage_, MLOPS_LOG_INFO, line.c_str()); }
  void Warn(const std::string& line) const { host_->log(stage_, MLOPS_LOG_WARN, line.c_str()); }
  void Metric(const std::string& key, double value, int64_t step) const {
    host_->metric(stage_, key.c_str(), value, step);
  }
  void Param(const std::string& key, const nlohmann::json& value) const {
    host_->param(stage_, key.c_str(), value.dump().c_str());
  }
  void Progress(double fraction, const std::string& message) const {
    host_->progress(stage_, fraction, message.c_str());
  }
  bool Cancelled() const { return host_->is_cancelled(stage_) != 0; }
  // Sets the error and returns `status`, for `return io.Fail(...)`.
  mlops_status Fail(mlops_status status, const std::string& message) const {
    host_->set_error(stage_, message.c_str());
    return status;
  }
  // The stage's CPU slots (MLOPS_CPUS, at least 1).
  static int Cpus();

 private:
  mlops_stage* stage_;
  const mlops_host_api* host_;
};

// Runs `body` and turns any escaping C++ exception into MLOPS_ERROR with its
// message: no exception may cross the plugin boundary.
template <typename Body>
mlops_status GuardedRun(mlops_stage* stage, const mlops_host_api* host, Body&& body) {
  StageIo io(stage, host);
  try {
    return body(io);
  } catch (const std::exception& e) {
    return io.Fail(MLOPS_ERROR, std::string("internal error: ") + e.what());
  } catch (...) {
    return io.Fail(MLOPS_ERROR, "internal error: unknown exception");
  }
}

// Fills the plugin's self-description for mlops_plugin_entry. Returns
// what the entry function returns (0, or 1 for a host that knows too
// small a struct).
int DescribePlugin(mlops_plugin_info* info, const char* name, const char* version,
                   mlops_status (*run)(mlops_stage*, const mlops_host_api*));

// The run() of a plugin whose body is `Body`, under GuardedRun.
template <mlops_status (*Body)(StageIo&)>
mlops_status RunGuarded(mlops_stage* stage, const mlops_host_api* host) {
  return GuardedRun(stage, host, Body);
}

}  // namespace mlops::ml
