// ModelRegistry's canaries: the `canary` alias and the canaries row change
// together in one write transaction, with their audit row.
#include <string>

#include "mlops/registry/model_registry.h"
#include "sqlite_model_registry_impl.h"

namespace mlops::registry {
namespace {

using internal::Stmt;

constexpr const char* kCanaryCols =
    "SELECT m.name, c.version, c.share_percent, c.state, c.started_ms, c.updated_ms, "
    "c.policy_json FROM canaries c JOIN models m ON m.id = c.model_id ";

void ReadCanary(const Stmt& s, CanaryRecord* c) {
  c->model = s.Text(0);
  c->version = s.Int64(1);
  c->share_percent = s.Int(2);
  c->state = s.Text(3);
  c->started_ms = s.Int64(4);
  c->updated_ms = s.Int64(5);
  c->policy_json = s.Text(6);
}

Status CheckShare(int share_percent) {
  if (share_percent < 0 || share_percent > 100) {
    return Status::InvalidArgument("canary share must be 0 to 100 percent, got " +
                                   std::to_string(share_percent));
  }
  return Status::OK();
}

AuditRecord CanaryAudit(const std::string& model, int64_t version, const std::string& action,
                        const CanaryChange& change) {
  AuditRecord a;
  a.at_ms = change.now_ms;
  a.actor = change.actor;
  a.action = action;
  a.model = model;
  a.version = version;
  a.reason = change.reason;
  a.detail_json = change.detail_json;
  return a;
}

// The model's canary version inside the caller's transaction, 0 when none.
Status CanaryVersion(internal::SqliteDb* db, int64_t model_id, int64_t* version) {
  Stmt s;
  MLOPS_RETURN_IF_ERROR(db->Prepare("SELECT version FROM canaries WHERE model_id = ?1", &s));
  s.Bind(1, model_id);
  bool row = false;
  MLOPS_RETURN_IF_ERROR(s.Step(&row));
  *version = row ? s.Int64(0) : 0;
  return Status::OK();
}

// NotFound when the model has no canary, Conflict when it is not `expected`
// (replaced or ended since the caller looked).
Status CheckCanary(internal::SqliteDb* db, int64_t model_id, const std::string& model,
                   int64_t expected) {
  int64_t version = 0;
  MLOPS_RETURN_IF_ERROR(CanaryVersion(db, model_id, &version));
  if (version == 0) return Status::NotFound("model '" + model + "' has no canary");
  if (version != expected) {
    return Status::Conflict("the canary of model '" + model + "' is version " +
                            std::to_string(version) + ", not " + std::to_string(expected));
  }
  return Status::OK();
}

}  // namespace

Status ModelRegistry::StartCanary(CanaryRecord* c, const CanaryChange& change) {
  MLOPS_RETURN_IF_ERROR(CheckShare(c->share_percent));
  Impl::Write txn(impl_.get());
  int64_t model_id = 0;
  MLOPS_RETURN_IF_ERROR(txn.BeginForModel(c->model, &model_id));
  std::string stage;
  MLOPS_RETURN_IF_ERROR(impl_->Stage(model_id, c->model, c->version, &stage));
  if (stage == "production") {
    return Status::Conflict(internal::VersionName(c->model, c->version) +
                            " is in production; a canary must be another version");
  }
  int64_t running = 0;
  MLOPS_RETURN_IF_ERROR(CanaryVersion(impl_->db.get(), model_id, &running));
  if (running != 0) {
    return Status::Conflict("model '" + c->model + "' already has a canary (version " +
                            std::to_string(running) + "); stop it first");
  }
  c->state = "running";
  c->started_ms = c->updated_ms = change.now_ms;
  if (c->policy_json.empty()) c->policy_json = "{}";
  Stmt s;
  MLOPS_RETURN_IF_ERROR(impl_->db->Prepare(
      "INSERT INTO canaries (model_id, version, share_percent, state, started_ms, updated_ms, "
      "policy_json) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
      &s));
  s.Bind(1, model_id);
  s.Bind(2, c->version);
  s.Bind(3, static_cast<int64_t>(c->share_percent));
  s.Bind(4, c->state);
  s.Bind(5, change.now_ms);
  s.Bind(6, c->policy_json);
  MLOPS_RETURN_IF_ERROR(s.Run());
  MLOPS_RETURN_IF_ERROR(impl_->PutAlias(model_id, std::string(kCanaryAlias), c->version,
                                        change.actor, change.now_ms));
  AuditRecord a = CanaryAudit(c->model, c->version, "canary.start", change);
  a.from_stage = stage;
  a.to_stage = stage;
  MLOPS_RETURN_IF_ERROR(impl_->Audit(&a));
  return txn.Commit();
}

Status ModelRegistry::UpdateCanary(const std::string& model, int64_t version, int share_percent,
                                   const std::string& state, const CanaryChange& change) {
  MLOPS_RETURN_IF_ERROR(CheckShare(share_percent));
  if (state != "running" && state != "ready") {
    return Status::InvalidArgument("canary state must be 'running' or 'ready', got '" + state +
                                   "'");
  }
  Impl::Write txn(impl_.get());
  int64_t model_id = 0;
  MLOPS_RETURN_IF_ERROR(txn.BeginForModel(model, &model_id));
  MLOPS_RETURN_IF_ERROR(CheckCanary(impl_->db.get(), model_id, model, version));
  CanaryRecord before;
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(
        impl_->db->Prepare(std::string(kCanaryCols) + "WHERE c.model_id = ?1", &s));
    s.Bind(1, model_id);
    bool row = false;
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    ReadCanary(s, &before);
  }
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(impl_->db->Prepare(
        "UPDATE canaries SET share_percent = ?2, state = ?3, updated_ms = ?4 WHERE model_id = ?1",
        &s));
    s.Bind(1, model_id);
    s.Bind(2, static_cast<int64_t>(share_percent));
    s.Bind(3, state);
    s.Bind(4, change.now_ms);
    MLOPS_RETURN_IF_ERROR(s.Run());
  }
  if (before.share_percent != share_percent) {
    AuditRecord a = CanaryAudit(model, version, "canary.share", change);
    MLOPS_RETURN_IF_ERROR(impl_->Audit(&a));
  }
  if (before.state != state && state == "ready") {
    AuditRecord a = CanaryAudit(model, version, "canary.ready", change);
    MLOPS_RETURN_IF_ERROR(impl_->Audit(&a));
  }
  return txn.Commit();
}

Status ModelRegistry::EndCanary(const std::string& model, int64_t version,
                                const std::string& action, const CanaryChange& change) {
  if (action != "canary.rollback" && action != "canary.stop" && action != "canary.promote") {
    return Status::InvalidArgument(
        "a canary ends with canary.rollback, canary.stop or canary.promote, got '" + action + "'");
  }
  Impl::Write txn(impl_.get());
  int64_t model_id = 0;
  MLOPS_RETURN_IF_ERROR(txn.BeginForModel(model, &model_id));
  MLOPS_RETURN_IF_ERROR(CheckCanary(impl_->db.get(), model_id, model, version));
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(impl_->db->Prepare("DELETE FROM canaries WHERE model_id = ?1", &s));
    s.Bind(1, model_id);
    MLOPS_RETURN_IF_ERROR(s.Run());
  }
  MLOPS_RETURN_IF_ERROR(impl_->RemoveAlias(model_id, std::string(kCanaryAlias)));
  AuditRecord a = CanaryAudit(model, version, action, change);
  MLOPS_RETURN_IF_ERROR(impl_->Audit(&a));
  return txn.Commit();
}

Status ModelRegistry::GetCanary(const std::string& model, CanaryRecord* out) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Stmt s;
  MLOPS_RETURN_IF_ERROR(impl_->db->Prepare(std::string(kCanaryCols) + "WHERE m.name = ?1", &s));
  s.Bind(1, model);
  bool row = false;
  MLOPS_RETURN_IF_ERROR(s.Step(&row));
  if (!row) return Status::NotFound("model '" + model + "' has no canary");
  ReadCanary(s, out);
  return Status::OK();
}

Status ModelRegistry::ListCanaries(std::vector<CanaryRecord>* out) {
  out->clear();
  std::lock_guard<std::mutex> lock(impl_->mu);
  Stmt s;
  MLOPS_RETURN_IF_ERROR(impl_->db->Prepare(std::string(kCanaryCols) + "ORDER BY m.name", &s));
  bool row = false;
  while (true) {
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    if (!row) break;
    ReadCanary(s, &out->emplace_back());
  }
  return Status::OK();
}

}  // namespace mlops::registry
