#include "exec_params.h"

#include <nlohmann/json.hpp>

#include "command_line.h"

namespace mlops::exec {

bool ParseExecParams(const std::string& json_text, ExecParams* out, std::string* error) {
  using nlohmann::json;
  json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    *error = "params are not a JSON object";
    return false;
  }
  auto fail = [&](const std::string& message) {
    *error = message;
    return false;
  };
  bool shell = false;
  if (doc.contains("shell")) {
    if (!doc["shell"].is_boolean()) return fail("shell: expected true or false");
    shell = doc["shell"].get<bool>();
  }
  bool has_run = doc.contains("run") && !doc["run"].is_null();
  bool has_argv = doc.contains("argv") && !doc["argv"].is_null();
  if (has_run == has_argv) return fail("exactly one of `run` and `argv` is required");
  if (has_run) {
    if (!doc["run"].is_string()) return fail("run: expected a string");
    std::string run = doc["run"].get<std::string>();
    if (shell) {
      out->argv = {"/bin/sh", "-c", run};
    } else if (!SplitCommandLine(run, &out->argv, error)) {
      return false;
    }
  } else {
    if (shell) return fail("shell: true needs `run`, not `argv`");
    if (!doc["argv"].is_array() || doc["argv"].empty()) {
      return fail("argv: expected a non-empty list of strings");
    }
    for (const json& arg : doc["argv"]) {
      if (!arg.is_string()) return fail("argv: expected a list of strings");
      out->argv.push_back(arg.get<std::string>());
    }
  }
  if (doc.contains("env") && !doc["env"].is_null()) {
    if (!doc["env"].is_object()) return fail("env: expected a mapping of names to values");
    for (const auto& [key, value] : doc["env"].items()) {
      if (key.empty() || key.find('=') != std::string::npos) {
        return fail("env: invalid variable name '" + key + "'");
      }
      if (value.is_string()) {
        out->env[key] = value.get<std::string>();
      } else if (value.is_number() || value.is_boolean()) {
        out->env[key] = value.dump();
      } else {
        return fail("env." + key + ": expected a string, number or boolean");
      }
    }
  }
  if (doc.contains("outputs") && !doc["outputs"].is_null()) {
    if (!doc["outputs"].is_array()) return fail("outputs: expected a list of paths");
    for (const json& path : doc["outputs"]) {
      if (!path.is_string() || path.get<std::string>().empty()) {
        return fail("outputs: expected a list of non-empty paths");
      }
      out->outputs.push_back(path.get<std::string>());
    }
  }
  if (doc.contains("metrics") && !doc["metrics"].is_null()) {
    if (!doc["metrics"].is_string() || doc["metrics"].get<std::string>().empty()) {
      return fail("metrics: expected the path of a JSON file the command writes");
    }
    out->metrics_file = doc["metrics"].get<std::string>();
  }
  if (doc.contains("kill_grace_ms")) {
    if (!doc["kill_grace_ms"].is_number() || doc["kill_grace_ms"].get<double>() < 0) {
      return fail("kill_grace_ms: expected a non-negative number");
    }
    out->kill_grace = std::chrono::milliseconds(doc["kill_grace_ms"].get<int64_t>());
  }
  return true;
}

}  // namespace mlops::exec
