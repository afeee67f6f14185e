#include "server/plugin_directory.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "process/stage_orphans.h"

namespace mlops::server {

Status PluginDirectory::Scan() {
  if (::access(stage_host_.c_str(), X_OK) != 0) {
    return Status::NotFound("stage host " + stage_host_ +
                            " is missing or not executable (set --stage-host)");
  }
  catalog_ = PluginCatalog::Scan(dirs_, stage_host_);
  for (const auto& r : catalog_.rejected()) spdlog::warn("plugin refused: {}", r.error);
  for (const auto& [name, p] : catalog_.plugins()) {
    spdlog::info("plugin {} {} ({})", name, p.version, p.path);
  }
  return Status::OK();
}

void PluginDirectory::MakeRunner(StageRunner::OnFinished on_finished) {
  ProcessStageRunnerOptions opts;
  opts.stage_host_path = stage_host_;
  runner_ = std::make_unique<ProcessStageRunner>(opts, std::move(on_finished));
}

Status PluginDirectory::Resolve(const std::string& name, scheduler::PluginRef* out) {
  PluginInfo info;
  MLOPS_RETURN_IF_ERROR(catalog_.Find(name, &info));
  *out = {info.name, info.version, info.sha256, info.path};
  return Status::OK();
}

std::vector<std::string> PluginDirectory::Names() {
  std::vector<std::string> names;
  for (const auto& [name, p] : catalog_.plugins()) names.push_back(name);
  return names;
}

nlohmann::json PluginDirectory::ToJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [name, p] : catalog_.plugins()) {
    out.push_back({{"name", name}, {"version", p.version}, {"sha256", p.sha256}, {"path", p.path},
                   {"abi", std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor)}});
  }
  for (const auto& r : catalog_.rejected()) {
    out.push_back({{"name", ""}, {"path", r.path}, {"error", r.error}});
  }
  return out;
}

}  // namespace mlops::server
