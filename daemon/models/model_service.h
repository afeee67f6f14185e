// ModelService: the model registry's rules (docs/models.md).
//
// - Registration: when a run of a pipeline with a `model:` section succeeds,
//   a new version is recorded: the model artifact (the digest the named
//   stage produced under the named output), the DSSE envelope the run
//   produced over it, the evaluator's gates and metrics (evaluation.json)
//   and the run's provenance. Then the pipeline's `model.promote` policy is
//   applied (e.g. staging on passing gates).
// - Every promotion, automatic or asked for, checks again: the envelope
//   verifies against the trusted, non-revoked keys; every subject is re-hashed
//   from the artifact store; the model artifact is among the subjects; the
//   gates passed. A refusal is audited ("promote.refused") with its reason.
// - Production needs the admin role (policy `manual`) or, with policy
//   `approval`, a request by an operator/admin and the approval of another
//   admin. A lower version than the current production is refused: that is
//   a rollback, its own admin call, only to a version that was production.
// - On production: the version's files at the stable path
//   (<state>/models/<name>/production), then the deploy hook; both audited.
//   Hooks run one at a time; after an automatic promotion the hook runs on
//   the service's own thread (the scheduler does not wait for it), and not
//   at all if another version reached production in the meantime.
// - Trust store: trusted keys live in the registry (audited); at start the
//   keys of config trusted_keys and the public key of signing_key are added.
// Thread-safety: all methods may be called from any thread; promotions of
// one service are serialised (the registry's transaction is what makes
// concurrent promoters safe across processes).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlops/common/clock.h"
#include "mlops/common/status.h"
#include "mlops/registry/artifact_store.h"
#include "mlops/registry/model_registry.h"
#include "mlops/registry/store.h"
#include "mlops/signing/signing.h"
#include "models/deploy_hook.h"
#include "models/deploy_worker.h"
#include "models/provenance.h"
#include "models/version_check.h"
#include "pipeline/pipeline.h"

namespace mlops::models {

struct ModelServiceOptions {
  std::string state_dir;
  std::string signing_key;               // private key file handed to signer stages
  std::vector<std::string> deploy_hook;  // argv; empty: none
  std::chrono::milliseconds deploy_timeout{std::chrono::minutes(5)};
  // Called after a key was revoked (e.g. so that plugin signatures by it
  // are refused from then on).
  std::function<void()> on_key_revoked;
};

struct PromoteRequest {
  std::string model;
  int64_t version = 0;
  std::string to_stage;  // "staging" or "production"
  std::string reason;
  std::string actor;
  std::string role;  // "viewer", "operator", "admin"
  std::optional<int64_t> expected_production;
  std::string request_id;
  // Production: run the deploy hook on the service's thread instead of
  // waiting for it (PromoteResult::deploy then stays empty; the audit log
  // says how it went). Automatic promotions set it.
  bool deploy_in_background = false;
};

struct PromoteResult {
  std::string from_stage;
  std::string to_stage;
  int64_t previous_production = 0;
  bool approval_pending = false;  // a request was recorded; nothing moved yet
  std::string stable_path;        // production: the folder the link points at
  std::optional<DeployResult> deploy;
  std::string warning;            // e.g. a failed deploy hook
  nlohmann::json ToJson() const;
};


// What the scheduler tells the attempt-env hook.
struct AttemptStartInfo {
  int64_t run_id = 0;
  int64_t attempt_id = 0;
  int attempt = 1;
  std::string pipeline;
  std::string stage;
  std::string plugin;  // the stage's `uses`
  std::optional<pipeline::ModelSpec> model;
  std::vector<NamedDigest> inputs;
};

class ModelService {
 public:
  // REQUIRES: every pointer outlives the service.
  ModelService(registry::Store* store, registry::ModelRegistry* models,
               registry::ArtifactStore* artifacts, Clock* clock, ModelServiceOptions options);

  // At start: trusts the public keys in `trusted_key_files` and the public
  // key of options.signing_key (each audited "key.trusted" once).
  Status LoadTrust(const std::vector<std::string>& trusted_key_files);
  Status TrustKey(const std::string& pem, const std::string& name, const std::string& actor,
                  registry::TrustedKeyRecord* out);
  Status RevokeKey(const std::string& key_id, const std::string& actor,
                   registry::TrustedKeyRecord* out);
  // The ids of every key revoked in the trust store.
  std::vector<std::string> RevokedKeyIds();

  // Registers the version a succeeded run made and applies the policy.
  // NotFound-free no-op (OK) for a run whose pipeline has no model section
  // or that did not succeed.
  Status OnRunFinished(const registry::RunRecord& run, const pipeline::Pipeline& pipeline,
                       registry::ModelVersionRecord* registered = nullptr);

  // The checks of a promotion, and then the version's published files (if
  // it was ever published) re-hashed: a modified deployed file fails it.
  Status Verify(const std::string& model, int64_t version, VerifyReport* out);
  Status Promote(const PromoteRequest& req, PromoteResult* out);
  // An admin other than the requester approves a pending production
  // request; the promotion then happens at once (checked again).
  Status Approve(const std::string& model, int64_t version, const std::string& actor,
                 const std::string& role, PromoteResult* out);
  Status Rollback(const std::string& model, int64_t version, const std::string& reason,
                  const std::string& actor, const std::string& role,
                  const std::string& request_id, PromoteResult* out);

  // Returns once every deploy hook started in the background so far has run.
  void WaitForDeploys() { deploy_worker_.Drain(); }

  // The scheduler's attempt-env hook: MLOPS_SIGNING_KEY and MLOPS_PROVENANCE
  // for signer stages, MLOPS_PRODUCTION_MODEL for evaluator stages.
  void AttemptEnv(const AttemptStartInfo& info, std::map<std::string, std::string>* env);

  // The `model:` section of the pipeline that owns `model` now; when that
  // pipeline no longer describes it: nothing automatic, production manual.
  Status PolicyOf(const std::string& model, pipeline::ModelSpec* spec);

  // The stable path of the current production model file of `model`, or ""
  // when there is none.
  std::string ProductionModelFile(const std::string& model);
  std::string models_root() const;

 private:
  Status TrustedKeys(std::vector<signing::TrustedKey>* out);
  Status Check(const registry::ModelVersionRecord& v, VerifyReport* out);
  Status Refuse(const PromoteRequest& req, const std::string& from, const std::string& why,
                Status as);
  Status Move(const PromoteRequest& req, const std::string& action, bool consume_approval,
              const registry::ModelVersionRecord& v, const VerifyReport& report,
              PromoteResult* out);
  void AfterProduction(const std::string& actor, const registry::ModelVersionRecord& v,
                       const VerifyReport& report, bool background, PromoteResult* out);
  // Runs the deploy hook for `v` (one hook at a time) and audits it; with
  // only_if_current, skips it (audited) unless `v` is still in production.
  DeployResult Deploy(const std::string& actor, const registry::ModelVersionRecord& v,
                      const std::map<std::string, std::string>& env, bool only_if_current);
  // Appends `a` to the audit log, stamped now. Best effort, as every entry
  // of this service was: the step it records stands either way.
  void Audit(registry::AuditRecord a);
  void AuditProduction(const std::string& actor, const registry::ModelVersionRecord& v,
                       const std::string& action, const std::string& reason,
                       const nlohmann::json& detail);

  registry::Store* store_;
  registry::ModelRegistry* models_;
  registry::ArtifactStore* artifacts_;
  Clock* clock_;
  ModelServiceOptions options_;
  std::mutex mu_;       // serialises promotions and stable-path swaps
  std::mutex hook_mu_;  // serialises deploy hooks
  DeployWorker deploy_worker_;  // last: stopped first, while the rest exists
};

}  // namespace mlops::models
