// ModelRegistry: models, their versions and stages, aliases, approvals, the
// trusted signing keys, recorded signatures and the append-only audit log
// (docs/models.md), in registry.db.
//
// The store enforces the facts that must hold at every instant: a version
// number is unique per model and increases; at most one version per model is
// in production (a partial unique index); a stage change is one write
// transaction that compare-and-swaps on the current production version,
// demotes the old production to archived, records the request id (a replay
// is refused) and writes its audit rows; audit rows can be neither updated
// nor deleted (triggers). Whether a transition is *allowed* (signature,
// gates, roles, approvals) is the caller's decision (daemon/models).
// Thread-safety: all methods may be called from any thread (one mutex around
// its own SQLite connection); several instances on one file are safe too.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mlops/common/status.h"

namespace mlops::registry {

// "none", "staging", "production", "archived".
bool IsModelStage(std::string_view stage);
// Model names are pipeline names: 1..64 of [A-Za-z0-9._-], first a letter
// or digit. Aliases: 1..64 of [a-z0-9_-]. The errors say what is expected.
Status CheckModelName(std::string_view name);
Status CheckAliasName(std::string_view alias);
// Promotion request ids: 8..128 of [A-Za-z0-9._-].
Status CheckRequestId(std::string_view id);

// The alias a canary's version holds. SetAlias and DeleteAlias refuse it:
// it changes only with the canary's row.
inline constexpr std::string_view kCanaryAlias = "canary";

struct TrustedKeyRecord {
  std::string key_id;  // hex SHA-256 of the raw public key
  std::string public_key_pem;
  std::string name;
  int64_t added_ms = 0;
  std::string added_by;
  int64_t revoked_ms = 0;  // 0 while trusted
  std::string revoked_by;
};

struct SignatureRecord {
  std::string envelope_sha256;  // the DSSE envelope artifact
  std::string artifact_sha256;  // the model artifact it signs
  std::string key_id;
  int64_t run_id = 0;
  int64_t created_ms = 0;
};

struct ModelRecord {
  int64_t id = 0;
  std::string name;
  std::string pipeline;
  int64_t created_ms = 0;
  int64_t production_version = 0;  // 0 when none
  int64_t latest_version = 0;      // 0 when none
};

struct ModelVersionRecord {
  std::string model;
  int64_t version = 0;  // assigned by RegisterVersion
  std::string artifact_sha256;
  std::string envelope_sha256;  // empty when the run signed nothing
  int64_t run_id = 0;
  std::string stage = "none";
  bool gates_passed = false;
  std::string metrics_json = "{}";
  std::string provenance_json = "{}";
  int64_t created_ms = 0;
  std::vector<std::string> aliases;  // filled on read
};

struct ApprovalRecord {
  int64_t id = 0;
  std::string model;
  int64_t version = 0;
  std::string to_stage;
  std::string requested_by;
  int64_t requested_ms = 0;
  std::string approved_by;
  int64_t approved_ms = 0;
  std::string state;  // "pending", "approved", "used"
};

struct AuditRecord {
  int64_t id = 0;
  int64_t at_ms = 0;
  std::string actor;
  std::string action;  // "version.registered", "promote", "rollback", ...
  std::string model;   // empty for key entries
  int64_t version = 0;
  std::string from_stage;
  std::string to_stage;
  std::string reason;
  std::string detail_json = "{}";
};

struct AuditFilter {
  std::string model;       // empty: all
  int limit = 100;         // 1..1000
  int64_t before_id = 0;   // 0: from the newest; else entries with id < before_id
};

// One stage change of one version, applied atomically by Transition.
struct TransitionRequest {
  std::string model;
  int64_t version = 0;
  std::string to_stage;         // "staging", "production" or "archived"
  std::string action = "promote";  // audit action: "promote", "auto-promote", "rollback"
  std::string actor;
  std::string reason;
  std::string request_id;       // empty: none (automatic promotions)
  // Compare-and-swap: the production version the caller saw (0 = none).
  // Unset: not checked (automatic staging never touches production).
  std::optional<int64_t> expected_production;
  bool consume_approval = false;  // mark the approved approval used
  std::string detail_json = "{}";
  int64_t now_ms = 0;
};

// A version that answers a share of its model's requests beside production
// (docs/serving.md "Canary"). At most one per model.
struct CanaryRecord {
  std::string model;
  int64_t version = 0;          // the version that holds the `canary` alias
  int share_percent = 0;        // 0..100: share of the model's requests it answers
  std::string state;            // "running", "ready" (held its window, waits for a person)
  int64_t started_ms = 0, updated_ms = 0;
  std::string policy_json = "{}";  // the pipeline's canary policy when it started
};

// Who changes a canary and why, for its audit row.
struct CanaryChange {
  std::string actor;
  std::string reason;
  std::string detail_json = "{}";  // the figures behind the change
  int64_t now_ms = 0;
};

struct TransitionResult {
  std::string from_stage;
  int64_t previous_production = 0;  // archived by this transition; 0 when none
};

class ModelRegistry {
 public:
  ~ModelRegistry();
  ModelRegistry(const ModelRegistry&) = delete;
  ModelRegistry& operator=(const ModelRegistry&) = delete;

  // ---- Models and versions ----
  // Creates the model on first use (its pipeline is fixed then: Conflict if
  // another pipeline claims the name) and adds the next version, in stage
  // "none", auditing "version.registered". v->version and v->created_ms are
  // set.
  Status RegisterVersion(const std::string& pipeline, const std::string& actor, int64_t now_ms,
                         ModelVersionRecord* v);
  Status GetModel(const std::string& name, ModelRecord* out);
  Status ListModels(std::vector<ModelRecord>* out);
  // How many versions each stage holds, for every stage (none, staging,
  // production, archived), zero counts included.
  Status CountVersionsByStage(std::map<std::string, int64_t>* out);
  Status GetVersion(const std::string& model, int64_t version, ModelVersionRecord* out);
  // Newest first.
  Status ListVersions(const std::string& model, std::vector<ModelVersionRecord>* out);
  // The version registered for this run, NotFound when none.
  Status FindVersionByRun(int64_t run_id, ModelVersionRecord* out);
  // Whether the version was ever in production (a rollback target).
  Status WasProduction(const std::string& model, int64_t version, bool* out);

  // ---- Stage changes ----
  // In one write transaction: refuses a used request id (Conflict "replayed
  // request"), a stale expected_production (Conflict naming both), a
  // version already in to_stage (Conflict), a missing approval when
  // consume_approval (PermissionDenied); then moves the old production to
  // archived (when promoting to production), sets the stage, records the
  // request id and appends the audit rows.
  Status Transition(const TransitionRequest& req, TransitionResult* out);

  // ---- Aliases (audited) ----
  Status SetAlias(const std::string& model, const std::string& alias, int64_t version,
                  const std::string& actor, int64_t now_ms);
  Status DeleteAlias(const std::string& model, const std::string& alias, const std::string& actor,
                     int64_t now_ms);

  // ---- Canaries (audited) ----
  // In one write transaction: sets the `canary` alias to c->version and adds
  // the canary's row (state "running"), auditing "canary.start". NotFound
  // for an unknown model or version; Conflict when the version is in
  // production or the model already has a canary; and
  // InvalidArgument for a share outside 0..100. started_ms and updated_ms
  // are set to change.now_ms.
  Status StartCanary(CanaryRecord* c, const CanaryChange& change);
  // Sets the share and state ("running" or "ready") of the model's canary,
  // which must still be `version` (Conflict otherwise: it was replaced or
  // ended meanwhile; NotFound when there is none), auditing "canary.share"
  // when the share changes and "canary.ready" when the state becomes ready.
  Status UpdateCanary(const std::string& model, int64_t version, int share_percent,
                      const std::string& state, const CanaryChange& change);
  // In one write transaction: removes the `canary` alias and the row of the
  // model's canary, which must still be `version` (as UpdateCanary), and
  // audits `action`: "canary.rollback", "canary.stop" or "canary.promote".
  Status EndCanary(const std::string& model, int64_t version, const std::string& action,
                   const CanaryChange& change);
  // NotFound when the model has no canary.
  Status GetCanary(const std::string& model, CanaryRecord* out);
  // Every canary, by model name.
  Status ListCanaries(std::vector<CanaryRecord>* out);

  // ---- Approvals (audited) ----
  // A pending request; Conflict when one is already pending or approved.
  Status RequestApproval(const std::string& model, int64_t version, const std::string& to_stage,
                         const std::string& actor, int64_t now_ms, ApprovalRecord* out);
  // Approves the pending request: PermissionDenied when the approver asked
  // for it, NotFound when there is none.
  Status Approve(const std::string& model, int64_t version, const std::string& to_stage,
                 const std::string& approver, int64_t now_ms, ApprovalRecord* out);
  // The newest approval for (model, version, to_stage); NotFound when none.
  Status GetApproval(const std::string& model, int64_t version, const std::string& to_stage,
                     ApprovalRecord* out);

  // ---- Audit ----
  Status AppendAudit(AuditRecord* rec);
  // Newest first.
  Status ListAudit(const AuditFilter& filter, std::vector<AuditRecord>* out);

  // ---- Trusted keys (audited) ----
  // Adds a key. Conflict when the key id is revoked (a revoked key is never
  // trusted again); a key already trusted is left as it is (*added false).
  Status TrustKey(const TrustedKeyRecord& key, bool* added);
  // Conflict when already revoked, NotFound when unknown.
  Status RevokeKey(const std::string& key_id, const std::string& actor, int64_t now_ms,
                   TrustedKeyRecord* out);
  Status GetKey(const std::string& key_id, TrustedKeyRecord* out);
  Status ListKeys(std::vector<TrustedKeyRecord>* out);

  // ---- Signatures ----
  // Idempotent on the envelope digest.
  Status RecordSignature(const SignatureRecord& rec);
  Status GetSignature(const std::string& envelope_sha256, SignatureRecord* out);

 private:
  friend Status OpenSqliteModelRegistry(const std::string&, std::unique_ptr<ModelRegistry>*);
  friend Status OpenSqliteModelRegistryReadOnly(const std::string&,
                                                std::unique_ptr<ModelRegistry>*);
  struct Impl;
  explicit ModelRegistry(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Opens (and migrates) the registry at `path` with a connection of its own.
Status OpenSqliteModelRegistry(const std::string& path, std::unique_ptr<ModelRegistry>* out);
// Opens an existing registry with a read-only connection (mlops-serve):
// every writer fails with PermissionDenied; a schema other than this
// build's is refused with InvalidArgument naming both versions.
Status OpenSqliteModelRegistryReadOnly(const std::string& path,
                                       std::unique_ptr<ModelRegistry>* out);

}  // namespace mlops::registry
