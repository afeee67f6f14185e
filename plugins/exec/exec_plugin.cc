// The first-party `exec` plugin: runs one command (exec_params.h) in the
// stage's work dir and registers its declared outputs.
#include <unistd.h>

#include <exception>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "child_command.h"
#include "command_line.h"
#include "exec_params.h"
#include "mlops/plugin.h"

extern char** environ;

namespace mlops::exec {
namespace {

// The host's environment with `extra` laid over it.
std::vector<std::string> BuildEnv(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> merged;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry = *e;
    size_t eq = entry.find('=');
    if (eq != std::string::npos) merged[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [key, value] : extra) merged[key] = value;
  std::vector<std::string> env;
  env.reserve(merged.size());
  for (const auto& [key, value] : merged) env.push_back(key + "=" + value);
  return env;
}

mlops_status Fail(mlops_stage* stage, const mlops_host_api* host, mlops_status status,
                  const std::string& message) {
  host->set_error(stage, message.c_str());
  return status;
}

// Reads the metrics file the command wrote: a JSON object whose numeric
// members are reported as metrics at step 0; other members are ignored.
mlops_status ReportMetricsFile(mlops_stage* stage, const mlops_host_api* host,
                               const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Fail(stage, host, MLOPS_ERROR,
                "the command succeeded but did not write its metrics file '" + path + "'");
  }
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Fail(stage, host, MLOPS_ERROR,
                "metrics file '" + path + "' is not a JSON object of numbers");
  }
  for (const auto& [key, value] : doc.items()) {
    if (value.is_number()) host->metric(stage, key.c_str(), value.get<double>(), 0);
  }
  return MLOPS_OK;
}

mlops_status Run(mlops_stage* stage, const mlops_host_api* host) {
  ExecParams params;
  std::string error;
  if (!ParseExecParams(host->params_json(stage), &params, &error)) {
    return Fail(stage, host, MLOPS_BAD_PARAMS, error);
  }
  host->log(stage, MLOPS_LOG_INFO, ("exec: " + JoinCommandLine(params.argv)).c_str());
  CommandResult result = RunCommand(
      params.argv, BuildEnv(params.env), [&] { return host->is_cancelled(stage) != 0; },
      params.kill_grace);
  if (!result.error.empty()) return Fail(stage, host, MLOPS_ERROR, result.error);
  if (result.stopped) {
    return Fail(stage, host, MLOPS_CANCELLED, "cancelled: the command was stopped");
  }
  if (result.signal != 0) {
    return Fail(stage, host, MLOPS_ERROR, "command killed by signal " + SignalName(result.signal));
  }
  if (result.exit_code != 0) {
    return Fail(stage, host, MLOPS_ERROR,
                "command exited with code " + std::to_string(result.exit_code));
  }
  std::string missing;
  for (const std::string& output : params.outputs) {
    if (host->artifact(stage, output.c_str(), output.c_str(), nullptr) != MLOPS_OK) {
      missing += (missing.empty() ? "" : ", ") + ("'" + output + "'");
    }
  }
  if (!missing.empty()) {
    return Fail(stage, host, MLOPS_ERROR,
                "the command succeeded but did not produce declared output " + missing);
  }
  if (!params.metrics_file.empty()) return ReportMetricsFile(stage, host, params.metrics_file);
  return MLOPS_OK;
}

mlops_status RunGuarded(mlops_stage* stage, const mlops_host_api* host) {
  try {
    return Run(stage, host);
  } catch (const std::exception& e) {
    return Fail(stage, host, MLOPS_ERROR, std::string("exec plugin: ") + e.what());
  } catch (...) {
    return Fail(stage, host, MLOPS_ERROR, "exec plugin: unknown exception");
  }
}

}  // namespace
}  // namespace mlops::exec

extern "C" MLOPS_PLUGIN_EXPORT int mlops_plugin_entry(mlops_plugin_info* info) {
  if (info == nullptr || info->struct_size < sizeof(mlops_plugin_info)) return 1;
  info->struct_size = sizeof(mlops_plugin_info);
  info->abi_major = MLOPS_PLUGIN_ABI_MAJOR;
  info->abi_minor = MLOPS_PLUGIN_ABI_MINOR;
  info->name = "exec";
  info->version = "1.0.0";
  info->run = mlops::exec::RunGuarded;
  return 0;
}
