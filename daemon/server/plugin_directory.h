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

  // Plugins must carry a detached signature (<file>.sig) by one of these
  // public keys; the stage host checks it before dlopen. Call before Scan.
  void RequireSignatures(std::vector<std::string> trusted_key_files) {
    require_signatures_ = true;
    trusted_key_files_ = std::move(trusted_key_files);
  }

  // Plugin signatures by these keys (ids) are refused: the keys revoked in
  // the registry. Applies to stage hosts started from now on; running fork
  // servers are retired, so every plugin is checked again before its next
  // attempt.
  void SetRevokedKeys(const std::vector<std::string>& key_ids);

  // Remember plugin descriptions in `file` (PluginCatalog's description
  // cache). Not used while signatures are required: each start then has
  // the stage host check every signature. Call before Scan.
  void SetDescriptionCache(std::string file) { description_cache_ = std::move(file); }

  // Checks that every plugin place is trusted (CheckTrustedPluginPlaces),
  // then finds and describes the plugins. Fails when a place is not
  // trusted, when required signatures have no usable trusted key, or when
  // the stage host is missing; plugins the stage host refuses (bad ABI,
  // bad signature) are logged and listed by ToJson.
  Status Scan();
  // The stage runner; spare_log_dir as in ProcessStageRunnerOptions.
  void MakeRunner(StageRunner::OnFinished on_finished, const std::string& spare_log_dir,
                  uint64_t output_cap_bytes, const AttemptCgroups* cgroups);
  StageRunner* runner() { return runner_.get(); }

  Status Resolve(const std::string& name, scheduler::PluginRef* out) override;
  std::vector<std::string> Names() override;
  nlohmann::json ToJson() const;

 private:
  std::vector<std::string> dirs_;
  std::string stage_host_;
  std::string description_cache_;
  bool require_signatures_ = false;
  std::vector<std::string> trusted_key_files_;
  PluginCatalog catalog_;
  std::unique_ptr<ProcessStageRunner> runner_;
};

// Every configured plugin directory must be a directory owned by root or the
// daemon's effective uid and not writable by group or others; so must each
// `*.so` in it (and, for a symlink, its target and the target's directory).
// The error names the path, the owner and mode found, and what is required.
Status CheckTrustedPluginPlaces(const std::vector<std::string>& dirs);

}  // namespace mlops::server
