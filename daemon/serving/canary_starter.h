// CanaryStarter: starts, re-shares and stops canaries (docs/serving.md
// "Canary"), by hand (the API) or when a pipeline's policy asks for one.
//
// A canary starts only after the checks of a promotion (ModelService::Verify:
// signature by a trusted, non-revoked key, every file re-hashed, the model
// among the subjects) with passed gates, only while another version is in
// production and not for a version older than it, and only once its files
// are published at <state>/models/<name>/versions/<v>/ with model.sig.json,
// where mlops-serve loads it from. Starting and changing the share need the
// admin role (the canary answers production traffic); stopping needs
// operator or admin. The policy is the pipeline's `model.promote.canary`, or
// its defaults when the pipeline has none (a canary started by hand).
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <optional>
#include <string>

#include "mlops/common/clock.h"
#include "mlops/common/status.h"
#include "mlops/registry/artifact_store.h"
#include "mlops/registry/model_registry.h"
#include "models/model_service.h"

namespace mlops::serving {

class CanaryStarter {
 public:
  // REQUIRES: every pointer outlives the starter.
  CanaryStarter(models::ModelService* service, registry::ModelRegistry* models,
                registry::ArtifactStore* artifacts, Clock* clock);

  // share: the policy's first step when unset.
  Status Start(const std::string& model, int64_t version, std::optional<int> share,
               const std::string& actor, const std::string& role, registry::CanaryRecord* out);
  // A share of 0 keeps the canary loaded and answering nothing.
  Status SetShare(const std::string& model, int share, const std::string& actor,
                  const std::string& role, registry::CanaryRecord* out);
  Status Stop(const std::string& model, const std::string& reason, const std::string& actor,
              const std::string& role);

  // After a run registered `v`: when the pipeline has a canary policy, `v`
  // reached staging and another version is in production, `v` becomes the
  // canary at the first step (a refusal is logged; an existing canary is
  // left alone).
  void OnVersionRegistered(const registry::ModelVersionRecord& v);

 private:
  Status StartChecked(const std::string& model, int64_t version, std::optional<int> share,
                      const std::string& actor, registry::CanaryRecord* out);

  models::ModelService* service_;
  registry::ModelRegistry* models_;
  registry::ArtifactStore* artifacts_;
  Clock* clock_;
};

}  // namespace mlops::serving
