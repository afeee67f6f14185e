#include "stage_io.h"

#include <cstdlib>

namespace mlops::ml {

bool StageIo::Params(nlohmann::json* out, std::string* error) const {
  const char* text = host_->params_json(stage_);
  *out = nlohmann::json::parse(text != nullptr ? text : "{}", nullptr, false);
  if (out->is_discarded() || !out->is_object()) {
    *error = "stage params are not a JSON object";
    return false;
  }
  return true;
}

std::optional<std::string> StageIo::Input(const std::string& name) const {
  const size_t n = host_->input_count(stage_);
  for (size_t i = 0; i < n; ++i) {
    const char* in_name = nullptr;
    const char* in_path = nullptr;
    if (host_->input_at(stage_, i, &in_name, &in_path) != MLOPS_OK) continue;
    if (in_name != nullptr && in_path != nullptr && name == in_name) return std::string(in_path);
  }
  return std::nullopt;
}

std::string StageIo::Resolve(const std::string& path) const {
  if (!path.empty() && path.front() == '/') return path;
  return WorkDir() + "/" + path;
}

bool StageIo::Output(const std::string& name, const char* media_type, std::string* error) const {
  if (host_->artifact(stage_, name.c_str(), OutputPath(name).c_str(), media_type) != MLOPS_OK) {
    *error = "the host refused output '" + name + "'";
    return false;
  }
  return true;
}

int StageIo::Cpus() {
  const char* v = std::getenv("MLOPS_CPUS");
  const int n = v != nullptr ? std::atoi(v) : 1;
  return n >= 1 ? n : 1;
}

int DescribePlugin(mlops_plugin_info* info, const char* name, const char* version,
                   mlops_status (*run)(mlops_stage*, const mlops_host_api*)) {
  if (info == nullptr || info->struct_size < sizeof(mlops_plugin_info)) return 1;
  info->struct_size = sizeof(mlops_plugin_info);
  info->abi_major = MLOPS_PLUGIN_ABI_MAJOR;
  info->abi_minor = MLOPS_PLUGIN_ABI_MINOR;
  info->name = name;
  info->version = version;
  info->run = run;
  return 0;
}

}  // namespace mlops::ml
