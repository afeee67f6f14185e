// RegistryGuard: answers retention's questions (retention/retention_guard.h)
// from the registry: run states, model versions, recorded artifacts.
// Thread-safety: as safe as the Store and ModelRegistry it reads (both are
// safe from any thread).
#pragma once

#include "mlops/common/clock.h"
#include "mlops/registry/model_registry.h"
#include "mlops/registry/store.h"
#include "retention/retention_guard.h"

namespace mlops::server {

class RegistryGuard final : public retention::RetentionGuard {
 public:
  // REQUIRES: every pointer outlives the guard.
  RegistryGuard(registry::Store* store, registry::ModelRegistry* models, Clock* clock)
      : store_(store), models_(models), clock_(clock) {}

  bool RunEnded(int64_t run_id) override;
  bool RunHasModelVersion(int64_t run_id) override;
  Status CommitsInUse(std::set<std::string>* out) override;
  Status ReferencedArtifacts(std::unordered_set<std::string>* out) override;
  bool ArtifactReferenced(const std::string& sha256) override;
  int64_t ActiveSinceMs() override;

 private:
  Status ActiveRuns(std::vector<registry::RunRecord>* out);

  registry::Store* store_;
  registry::ModelRegistry* models_;
  Clock* clock_;
};

}  // namespace mlops::server
