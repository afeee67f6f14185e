// PluginDirectory: the daemon's plugins and the runner that executes them.
// Adapts the process layer's PluginCatalog to the scheduler's
// PluginResolver, and owns the ProcessStageRunner.
// Thread-safety: Resolve/Names/ToJson are safe from any thread once Scan
// has returned.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process/plugin_catalog.h"
#include "process/process_stage_runner.h"
#include "scheduler/plugin_resolver.h"

namespace mlops::server {

class PluginDirectory final : public scheduler::PluginResolver {
 public:
  PluginDirectory(std::vector<std::string> dirs, std::string stage_host)
      : dirs_(std::move(dirs)), stage_host_(std::move(stage_host)) {}

  // Finds and describes the plugins. Fails only when the stage host is
  // missing; refused plugins are logged and listed by ToJson.
  Status Scan();
  void MakeRunner(StageRunner::OnFinished on_finished);
  StageRunner* runner() { return runner_.get(); }

  Status Resolve(const std::string& name, scheduler::PluginRef* out) override;
  std::vector<std::string> Names() override;
  nlohmann::json ToJson() const;

 private:
  std::vector<std::string> dirs_;
  std::string stage_host_;
  PluginCatalog catalog_;
  std::unique_ptr<ProcessStageRunner> runner_;
};




}  // namespace mlops::server
