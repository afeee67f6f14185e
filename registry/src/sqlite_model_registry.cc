#include <mutex>

#include "mlops/common/sha256.h"
#include "mlops/registry/model_registry.h"
#include "sqlite_db.h"
#include "sqlite_model_registry_impl.h"
#include "sqlite_schema.h"

namespace mlops::registry {
namespace {

using internal::SqliteDb;
using internal::Stmt;
using internal::Txn;
using internal::VersionName;

bool Alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

constexpr const char* kVersionCols =
    "SELECT m.name, v.version, v.artifact_sha256, v.envelope_sha256, v.run_id, v.stage, "
    "v.gates_passed, v.metrics_json, v.provenance_json, v.created_ms "
    "FROM model_versions v JOIN models m ON m.id = v.model_id ";

void ReadVersion(const Stmt& s, ModelVersionRecord* v) {
  v->model = s.Text(0);
  v->version = s.Int64(1);
  v->artifact_sha256 = s.Text(2);
  v->envelope_sha256 = s.Text(3);
  v->run_id = s.Int64(4);
  v->stage = s.Text(5);
  v->gates_passed = s.Int(6) != 0;
  v->metrics_json = s.Text(7);
  v->provenance_json = s.Text(8);
  v->created_ms = s.Int64(9);
}

constexpr const char* kKeyCols =
    "SELECT key_id, public_key_pem, name, added_ms, added_by, revoked_ms, revoked_by "
    "FROM trusted_keys ";

void ReadKey(const Stmt& s, TrustedKeyRecord* k) {
  k->key_id = s.Text(0);
  k->public_key_pem = s.Text(1);
  k->name = s.Text(2);
  k->added_ms = s.Int64(3);
  k->added_by = s.Text(4);
  k->revoked_ms = s.IsNull(5) ? 0 : s.Int64(5);
  k->revoked_by = s.IsNull(6) ? "" : s.Text(6);
}

constexpr const char* kApprovalCols =
    "SELECT a.id, m.name, a.version, a.to_stage, a.requested_by, a.requested_ms, a.approved_by, "
    "a.approved_ms, a.state FROM approvals a JOIN models m ON m.id = a.model_id ";

void ReadApproval(const Stmt& s, ApprovalRecord* a) {
  a->id = s.Int64(0);
  a->model = s.Text(1);
  a->version = s.Int64(2);
  a->to_stage = s.Text(3);
  a->requested_by = s.Text(4);
  a->requested_ms = s.Int64(5);
  a->approved_by = s.Text(6);
  a->approved_ms = s.Int64(7);
  a->state = s.Text(8);
}

// The `canary` alias moves only with the canary's row (StartCanary,
// EndCanary), so the two never disagree.
Status CheckSettableAlias(const std::string& alias) {
  MLOPS_RETURN_IF_ERROR(CheckAliasName(alias));
  if (alias == kCanaryAlias) {
    return Status::InvalidArgument(
        "the 'canary' alias is set and removed with the canary (mlctl models canary)");
  }
  return Status::OK();
}

}  // namespace

bool IsModelStage(std::string_view stage) {
  return stage == "none" || stage == "staging" || stage == "production" || stage == "archived";
}

Status CheckModelName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && Alnum(name[0]);
  for (char c : name) ok = ok && (Alnum(c) || c == '.' || c == '_' || c == '-');
  if (!ok) {
    return Status::InvalidArgument(
        "model name must be 1 to 64 characters of letters, digits, '.', '_' or '-', starting "
        "with a letter or digit");
  }
  return Status::OK();
}

Status CheckAliasName(std::string_view alias) {
  bool ok = !alias.empty() && alias.size() <= 64;
  for (char c : alias) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_');
  }
  if (!ok) {
    return Status::InvalidArgument(
        "alias must be 1 to 64 characters of lower-case letters, digits, '-' or '_'");
  }
  return Status::OK();
}

Status CheckRequestId(std::string_view id) {
  bool ok = id.size() >= 8 && id.size() <= 128;
  for (char c : id) ok = ok && (Alnum(c) || c == '.' || c == '_' || c == '-');
  if (!ok) {
    return Status::InvalidArgument(
        "request_id must be 8 to 128 characters of letters, digits, '.', '_' or '-'");
  }
  return Status::OK();
}

ModelRegistry::ModelRegistry(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ModelRegistry::~ModelRegistry() = default;

Status OpenSqliteModelRegistry(const std::string& path, std::unique_ptr<ModelRegistry>* out) {
  auto impl = std::make_unique<ModelRegistry::Impl>();
  MLOPS_RETURN_IF_ERROR(internal::OpenRegistryDb(path, &impl->db));
  out->reset(new ModelRegistry(std::move(impl)));
  return Status::OK();
}

Status OpenSqliteModelRegistryReadOnly(const std::string& path,
                                       std::unique_ptr<ModelRegistry>* out) {
  auto impl = std::make_unique<ModelRegistry::Impl>();
  MLOPS_RETURN_IF_ERROR(internal::OpenRegistryDbReadOnly(path, &impl->db));
  out->reset(new ModelRegistry(std::move(impl)));
  return Status::OK();
}

Status ModelRegistry::RegisterVersion(const std::string& pipeline, const std::string& actor,
                                      int64_t now_ms, ModelVersionRecord* v) {
  MLOPS_RETURN_IF_ERROR(CheckModelName(v->model));
  Impl::Write txn(impl_.get());
  SqliteDb* db = impl_->db.get();
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  int64_t model_id = 0;
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare("SELECT id, pipeline FROM models WHERE name = ?1", &s));
    s.Bind(1, v->model);
    bool row = false;
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    if (row) {
      model_id = s.Int64(0);
      if (s.Text(1) != pipeline) {
        return Status::Conflict("model '" + v->model + "' belongs to pipeline '" + s.Text(1) +
                                "', not '" + pipeline + "'");
      }
    }
  }
  if (model_id == 0) {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(
        db->Prepare("INSERT INTO models (name, pipeline, created_ms) VALUES (?1, ?2, ?3)", &s));
    s.Bind(1, v->model);
    s.Bind(2, pipeline);
    s.Bind(3, now_ms);
    MLOPS_RETURN_IF_ERROR(s.Run());
    model_id = db->LastInsertId();
  }
  int64_t next = 1;
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE model_id = ?1", &s));
    s.Bind(1, model_id);
    bool row = false;
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    next = s.Int64(0);
  }
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "INSERT INTO model_versions (model_id, version, artifact_sha256, envelope_sha256, run_id, "
        "stage, gates_passed, metrics_json, provenance_json, created_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, 'none', ?6, ?7, ?8, ?9)",
        &s));
    s.Bind(1, model_id);
    s.Bind(2, next);
    s.Bind(3, v->artifact_sha256);
    s.Bind(4, v->envelope_sha256);
    s.Bind(5, v->run_id);
    s.Bind(6, v->gates_passed);
    s.Bind(7, v->metrics_json);
    s.Bind(8, v->provenance_json);
    s.Bind(9, now_ms);
    MLOPS_RETURN_IF_ERROR(s.Run());
  }
  AuditRecord a;
  a.at_ms = now_ms;
  a.actor = actor;
  a.action = "version.registered";
  a.model = v->model;
  a.version = next;
  a.to_stage = "none";
  a.reason = "run " + std::to_string(v->run_id) + " of pipeline '" + pipeline + "' succeeded";
  a.detail_json = std::string("{\"artifact_sha256\":\"") + v->artifact_sha256 +
                  "\",\"envelope_sha256\":\"" + v->envelope_sha256 + "\",\"run_id\":" +
                  std::to_string(v->run_id) + "}";
  MLOPS_RETURN_IF_ERROR(impl_->Audit(&a));
  MLOPS_RETURN_IF_ERROR(txn.Commit());
  v->version = next;
  v->stage = "none";
  v->created_ms = now_ms;
  return Status::OK();
}

Status ModelRegistry::GetModel(const std::string& name, ModelRecord* out) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Stmt s;
  MLOPS_RETURN_IF_ERROR(impl_->db->Prepare(
      "SELECT m.id, m.name, m.pipeline, m.created_ms, "
      "(SELECT version FROM model_versions WHERE model_id = m.id AND stage = 'production'), "
      "(SELECT MAX(version) FROM model_versions WHERE model_id = m.id) "
      "FROM models m WHERE m.name = ?1",
      &s));
  s.Bind(1, name);
  bool row = false;
  MLOPS_RETURN_IF_ERROR(s.Step(&row));
  if (!row) return Status::NotFound("no model named '" + name + "'");
  *out = ModelRecord{s.Int64(0), s.Text(1), s.Text(2), s.Int64(3),
                     s.IsNull(4) ? 0 : s.Int64(4), s.IsNull(5) ? 0 : s.Int64(5)};
  return Status::OK();
}

Status ModelRegistry::ListModels(std::vector<ModelRecord>* out) {
  out->clear();
  std::lock_guard<std::mutex> lock(impl_->mu);
  Stmt s;
  MLOPS_RETURN_IF_ERROR(impl_->db->Prepare(
      "SELECT m.id, m.name, m.pipeline, m.created_ms, "
      "(SELECT version FROM model_versions WHERE model_id = m.id AND stage = 'production'), "
      "(SELECT MAX(version) FROM model_versions WHERE model_id = m.id) "
      "FROM models m ORDER BY m.name",
      &s));
  bool row = false;
  while (true) {
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    if (!row) break;
    out->push_back(ModelRecord{s.Int64(0), s.Text(1), s.Text(2), s.Int64(3),
                               s.IsNull(4) ? 0 : s.Int64(4), s.IsNull(5) ? 0 : s.Int64(5)});
  }
  return Status::OK();
}

Status ModelRegistry::CountVersionsByStage(std::map<std::string, int64_t>* out) {
  *out = {{"none", 0}, {"staging", 0}, {"production", 0}, {"archived", 0}};
  std::lock_guard<std::mutex> lock(impl_->mu);
  Stmt s;
  MLOPS_RETURN_IF_ERROR(
      impl_->db->Prepare("SELECT stage, COUNT(*) FROM model_versions GROUP BY stage", &s));
  bool row = false;
  while (true) {
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    if (!row) break;
    (*out)[s.Text(0)] = s.Int64(1);
  }
  return Status::OK();
}

Status ModelRegistry::GetVersion(const std::string& model, int64_t version,
                                 ModelVersionRecord* out) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  int64_t model_id = 0;
  MLOPS_RETURN_IF_ERROR(impl_->ModelId(model, &model_id));
  Stmt s;
  MLOPS_RETURN_IF_ERROR(
      impl_->db->Prepare(std::string(kVersionCols) + "WHERE v.model_id = ?1 AND v.version = ?2", &s));
  s.Bind(1, model_id);
  s.Bind(2, version);
  bool row = false;
  MLOPS_RETURN_IF_ERROR(s.Step(&row));
  if (!row) return Status::NotFound("no " + VersionName(model, version));
  ReadVersion(s, out);
  return impl_->Aliases(model_id, version, &out->aliases);
}

Status ModelRegistry::ListVersions(const std::string& model,
                                   std::vector<ModelVersionRecord>* out) {
  out->clear();
  std::lock_guard<std::mutex> lock(impl_->mu);
  int64_t model_id = 0;
  MLOPS_RETURN_IF_ERROR(impl_->ModelId(model, &model_id));
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(impl_->db->Prepare(
        std::string(kVersionCols) + "WHERE v.model_id = ?1 ORDER BY v.version DESC", &s));
    s.Bind(1, model_id);
    bool row = false;
    while (true) {
      MLOPS_RETURN_IF_ERROR(s.Step(&row));
      if (!row) break;
      ReadVersion(s, &out->emplace_back());
    }
  }
  for (auto& v : *out) MLOPS_RETURN_IF_ERROR(impl_->Aliases(model_id, v.version, &v.aliases));
  return Status::OK();
}

Status ModelRegistry::FindVersionByRun(int64_t run_id, ModelVersionRecord* out) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Stmt s;
  MLOPS_RETURN_IF_ERROR(impl_->db->Prepare(
      std::string(kVersionCols) + "WHERE v.run_id = ?1 ORDER BY v.id DESC LIMIT 1", &s));
  s.Bind(1, run_id);
  bool row = false;
  MLOPS_RETURN_IF_ERROR(s.Step(&row));
  if (!row) return Status::NotFound("run " + std::to_string(run_id) + " registered no model version");
  ReadVersion(s, out);
  return Status::OK();
}

Status ModelRegistry::WasProduction(const std::string& model, int64_t version, bool* out) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Stmt s;
  MLOPS_RETURN_IF_ERROR(impl_->db->Prepare(
      "SELECT 1 FROM audit_log WHERE model = ?1 AND version = ?2 AND to_stage = 'production' "
      "AND action IN ('promote', 'auto-promote', 'rollback') LIMIT 1",
      &s));
  s.Bind(1, model);
  s.Bind(2, version);
  bool row = false;
  MLOPS_RETURN_IF_ERROR(s.Step(&row));
  *out = row;
  return Status::OK();
}

Status ModelRegistry::Transition(const TransitionRequest& req, TransitionResult* out) {
  if (req.to_stage != "staging" && req.to_stage != "production" && req.to_stage != "archived") {
    return Status::InvalidArgument("target stage must be staging, production or archived, not '" +
                                   req.to_stage + "'");
  }
  if (!req.request_id.empty()) MLOPS_RETURN_IF_ERROR(CheckRequestId(req.request_id));
  Impl::Write txn(impl_.get());
  SqliteDb* db = impl_->db.get();
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  int64_t model_id = 0;
  MLOPS_RETURN_IF_ERROR(impl_->ModelId(req.model, &model_id));
  if (!req.request_id.empty()) {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(
        db->Prepare("SELECT 1 FROM promotion_requests WHERE request_id = ?1", &s));
    s.Bind(1, req.request_id);
    bool row = false;
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    if (row) {
      return Status::Conflict("replayed request: request_id '" + req.request_id +
                              "' was already used; send a fresh request");
    }
  }
  int64_t production = 0;
  MLOPS_RETURN_IF_ERROR(impl_->Production(model_id, &production));
  if (req.expected_production && *req.expected_production != production) {
    return Status::Conflict(
        "stale request: the request expected production version " +
        std::to_string(*req.expected_production) + " of model '" + req.model +
        "' but it is " + (production == 0 ? std::string("none") : std::to_string(production)) +
        "; look again and retry");
  }
  std::string from;
  MLOPS_RETURN_IF_ERROR(impl_->Stage(model_id, req.model, req.version, &from));
  if (from == req.to_stage) {
    return Status::Conflict(VersionName(req.model, req.version) + " is already in " + from);
  }
  // Once a model has a production version it always has exactly one: the
  // production version leaves only when another one replaces it.
  if (from == "production") {
    return Status::Conflict(VersionName(req.model, req.version) +
                            " is in production; it leaves production only when another version "
                            "is promoted or rolled back to");
  }
  if (req.consume_approval) {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "UPDATE approvals SET state = 'used' WHERE id = (SELECT id FROM approvals WHERE "
        "model_id = ?1 AND version = ?2 AND to_stage = ?3 AND state = 'approved' "
        "ORDER BY id DESC LIMIT 1)",
        &s));
    s.Bind(1, model_id);
    s.Bind(2, req.version);
    s.Bind(3, req.to_stage);
    MLOPS_RETURN_IF_ERROR(s.Run());
    if (db->Changes() != 1) {
      return Status::PermissionDenied(VersionName(req.model, req.version) +
                                      " has no approval for " + req.to_stage);
    }
  }
  out->from_stage = from;
  out->previous_production = 0;
  if (req.to_stage == "production" && production != 0) {
    MLOPS_RETURN_IF_ERROR(impl_->SetStage(model_id, production, "archived"));
    AuditRecord a;
    a.at_ms = req.now_ms;
    a.actor = req.actor;
    a.action = "demote";
    a.model = req.model;
    a.version = production;
    a.from_stage = "production";
    a.to_stage = "archived";
    a.reason = "replaced in production by version " + std::to_string(req.version);
    MLOPS_RETURN_IF_ERROR(impl_->Audit(&a));
    out->previous_production = production;
  }
  MLOPS_RETURN_IF_ERROR(impl_->SetStage(model_id, req.version, req.to_stage));
  if (!req.request_id.empty()) {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "INSERT INTO promotion_requests (request_id, model_id, version, at_ms) "
        "VALUES (?1, ?2, ?3, ?4)",
        &s));
    s.Bind(1, req.request_id);
    s.Bind(2, model_id);
    s.Bind(3, req.version);
    s.Bind(4, req.now_ms);
    MLOPS_RETURN_IF_ERROR(s.Run());
  }
  AuditRecord a;
  a.at_ms = req.now_ms;
  a.actor = req.actor;
  a.action = req.action;
  a.model = req.model;
  a.version = req.version;
  a.from_stage = from;
  a.to_stage = req.to_stage;
  a.reason = req.reason;
  a.detail_json = req.detail_json;
  MLOPS_RETURN_IF_ERROR(impl_->Audit(&a));
  return txn.Commit();
}

Status ModelRegistry::SetAlias(const std::string& model, const std::string& alias,
                               int64_t version, const std::string& actor, int64_t now_ms) {
  MLOPS_RETURN_IF_ERROR(CheckSettableAlias(alias));
  Impl::Write txn(impl_.get());
  int64_t model_id = 0;
  MLOPS_RETURN_IF_ERROR(txn.BeginForModel(model, &model_id));
  std::string stage;
  MLOPS_RETURN_IF_ERROR(impl_->Stage(model_id, model, version, &stage));
  int64_t before = 0;
  MLOPS_RETURN_IF_ERROR(impl_->AliasVersion(model_id, alias, &before));
  MLOPS_RETURN_IF_ERROR(impl_->PutAlias(model_id, alias, version, actor, now_ms));
  AuditRecord a;
  a.at_ms = now_ms;
  a.actor = actor;
  a.action = "alias.set";
  a.model = model;
  a.version = version;
  a.reason = "alias '" + alias + "' -> version " + std::to_string(version) +
             (before ? " (was " + std::to_string(before) + ")" : "");
  a.detail_json = "{\"alias\":\"" + alias + "\",\"previous_version\":" + std::to_string(before) + "}";
  MLOPS_RETURN_IF_ERROR(impl_->Audit(&a));
  return txn.Commit();
}

Status ModelRegistry::DeleteAlias(const std::string& model, const std::string& alias,
                                  const std::string& actor, int64_t now_ms) {
  MLOPS_RETURN_IF_ERROR(CheckSettableAlias(alias));
  Impl::Write txn(impl_.get());
  int64_t model_id = 0;
  MLOPS_RETURN_IF_ERROR(txn.BeginForModel(model, &model_id));
  int64_t version = 0;
  MLOPS_RETURN_IF_ERROR(impl_->AliasVersion(model_id, alias, &version));
  if (version == 0) return Status::NotFound("model '" + model + "' has no alias '" + alias + "'");
  MLOPS_RETURN_IF_ERROR(impl_->RemoveAlias(model_id, alias));
  AuditRecord a;
  a.at_ms = now_ms;
  a.actor = actor;
  a.action = "alias.deleted";
  a.model = model;
  a.version = version;
  a.reason = "alias '" + alias + "' removed";
  a.detail_json = "{\"alias\":\"" + alias + "\"}";
  MLOPS_RETURN_IF_ERROR(impl_->Audit(&a));
  return txn.Commit();
}

Status ModelRegistry::RequestApproval(const std::string& model, int64_t version,
                                      const std::string& to_stage, const std::string& actor,
                                      int64_t now_ms, ApprovalRecord* out) {
  Impl::Write txn(impl_.get());
  SqliteDb* db = impl_->db.get();
  int64_t model_id = 0;
  MLOPS_RETURN_IF_ERROR(txn.BeginForModel(model, &model_id));
  std::string stage;
  MLOPS_RETURN_IF_ERROR(impl_->Stage(model_id, model, version, &stage));
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "SELECT state FROM approvals WHERE model_id = ?1 AND version = ?2 AND to_stage = ?3 "
        "AND state IN ('pending', 'approved')",
        &s));
    s.Bind(1, model_id);
    s.Bind(2, version);
    s.Bind(3, to_stage);
    bool row = false;
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    if (row) {
      return Status::Conflict("an approval of " + VersionName(model, version) + " for " +
                              to_stage + " is already " + s.Text(0));
    }
  }
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "INSERT INTO approvals (model_id, version, to_stage, requested_by, requested_ms, state) "
        "VALUES (?1, ?2, ?3, ?4, ?5, 'pending')",
        &s));
    s.Bind(1, model_id);
    s.Bind(2, version);
    s.Bind(3, to_stage);
    s.Bind(4, actor);
    s.Bind(5, now_ms);
    MLOPS_RETURN_IF_ERROR(s.Run());
  }
  *out = ApprovalRecord{db->LastInsertId(), model, version, to_stage, actor, now_ms, "", 0,
                        "pending"};
  AuditRecord a;
  a.at_ms = now_ms;
  a.actor = actor;
  a.action = "approval.requested";
  a.model = model;
  a.version = version;
  a.from_stage = stage;
  a.to_stage = to_stage;
  a.reason = "waiting for an admin other than " + actor;
  MLOPS_RETURN_IF_ERROR(impl_->Audit(&a));
  return txn.Commit();
}

Status ModelRegistry::Approve(const std::string& model, int64_t version,
                              const std::string& to_stage, const std::string& approver,
                              int64_t now_ms, ApprovalRecord* out) {
  Impl::Write txn(impl_.get());
  SqliteDb* db = impl_->db.get();
  int64_t model_id = 0;
  MLOPS_RETURN_IF_ERROR(txn.BeginForModel(model, &model_id));
  ApprovalRecord ap;
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        std::string(kApprovalCols) +
            "WHERE a.model_id = ?1 AND a.version = ?2 AND a.to_stage = ?3 AND a.state = 'pending' "
            "ORDER BY a.id DESC LIMIT 1",
        &s));
    s.Bind(1, model_id);
    s.Bind(2, version);
    s.Bind(3, to_stage);
    bool row = false;
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    if (!row) {
      return Status::NotFound("no pending request to promote " + VersionName(model, version) +
                              " to " + to_stage + " (ask with mlctl models promote first)");
    }
    ReadApproval(s, &ap);
  }
  if (ap.requested_by == approver) {
    return Status::PermissionDenied("'" + approver +
                                    "' requested this promotion and cannot also approve it");
  }
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "UPDATE approvals SET state = 'approved', approved_by = ?2, approved_ms = ?3 WHERE id = ?1",
        &s));
    s.Bind(1, ap.id);
    s.Bind(2, approver);
    s.Bind(3, now_ms);
    MLOPS_RETURN_IF_ERROR(s.Run());
  }
  ap.state = "approved";
  ap.approved_by = approver;
  ap.approved_ms = now_ms;
  AuditRecord a;
  a.at_ms = now_ms;
  a.actor = approver;
  a.action = "approval.granted";
  a.model = model;
  a.version = version;
  a.to_stage = to_stage;
  a.reason = "requested by " + ap.requested_by;
  MLOPS_RETURN_IF_ERROR(impl_->Audit(&a));
  MLOPS_RETURN_IF_ERROR(txn.Commit());
  *out = ap;
  return Status::OK();
}

Status ModelRegistry::GetApproval(const std::string& model, int64_t version,
                                  const std::string& to_stage, ApprovalRecord* out) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  int64_t model_id = 0;
  MLOPS_RETURN_IF_ERROR(impl_->ModelId(model, &model_id));
  Stmt s;
  MLOPS_RETURN_IF_ERROR(impl_->db->Prepare(
      std::string(kApprovalCols) +
          "WHERE a.model_id = ?1 AND a.version = ?2 AND a.to_stage = ?3 ORDER BY a.id DESC LIMIT 1",
      &s));
  s.Bind(1, model_id);
  s.Bind(2, version);
  s.Bind(3, to_stage);
  bool row = false;
  MLOPS_RETURN_IF_ERROR(s.Step(&row));
  if (!row) return Status::NotFound("no approval for " + VersionName(model, version));
  ReadApproval(s, out);
  return Status::OK();
}

Status ModelRegistry::AppendAudit(AuditRecord* rec) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->Audit(rec);
}

Status ModelRegistry::ListAudit(const AuditFilter& filter, std::vector<AuditRecord>* out) {
  out->clear();
  if (filter.limit < 1 || filter.limit > 1000) {
    return Status::InvalidArgument("limit must be between 1 and 1000");
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  Stmt s;
  MLOPS_RETURN_IF_ERROR(impl_->db->Prepare(
      "SELECT id, at_ms, actor, action, model, version, from_stage, to_stage, reason, detail_json "
      "FROM audit_log WHERE (?1 = '' OR model = ?1) AND (?2 = 0 OR id < ?2) "
      "ORDER BY id DESC LIMIT ?3",
      &s));
  s.Bind(1, filter.model);
  s.Bind(2, filter.before_id);
  s.Bind(3, filter.limit);
  bool row = false;
  while (true) {
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    if (!row) break;
    AuditRecord& a = out->emplace_back();
    a.id = s.Int64(0);
    a.at_ms = s.Int64(1);
    a.actor = s.Text(2);
    a.action = s.Text(3);
    a.model = s.Text(4);
    a.version = s.Int64(5);
    a.from_stage = s.Text(6);
    a.to_stage = s.Text(7);
    a.reason = s.Text(8);
    a.detail_json = s.Text(9);
  }
  return Status::OK();
}

Status ModelRegistry::TrustKey(const TrustedKeyRecord& key, bool* added) {
  if (!IsSha256Hex(key.key_id)) {
    return Status::InvalidArgument("a key id is 64 lower-case hex digits");
  }
  Impl::Write txn(impl_.get());
  SqliteDb* db = impl_->db.get();
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(std::string(kKeyCols) + "WHERE key_id = ?1", &s));
    s.Bind(1, key.key_id);
    bool row = false;
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    if (row) {
      TrustedKeyRecord k;
      ReadKey(s, &k);
      if (k.revoked_ms != 0) {
        return Status::Conflict("key " + key.key_id + " was revoked by " + k.revoked_by +
                                " and is never trusted again");
      }
      *added = false;
      return Status::OK();
    }
  }
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "INSERT INTO trusted_keys (key_id, public_key_pem, name, added_ms, added_by) "
        "VALUES (?1, ?2, ?3, ?4, ?5)",
        &s));
    s.Bind(1, key.key_id);
    s.Bind(2, key.public_key_pem);
    s.Bind(3, key.name);
    s.Bind(4, key.added_ms);
    s.Bind(5, key.added_by);
    MLOPS_RETURN_IF_ERROR(s.Run());
  }
  AuditRecord a;
  a.at_ms = key.added_ms;
  a.actor = key.added_by;
  a.action = "key.trusted";
  a.reason = "key '" + key.name + "' trusted";
  a.detail_json = "{\"key_id\":\"" + key.key_id + "\"}";
  MLOPS_RETURN_IF_ERROR(impl_->Audit(&a));
  MLOPS_RETURN_IF_ERROR(txn.Commit());
  *added = true;
  return Status::OK();
}

Status ModelRegistry::RevokeKey(const std::string& key_id, const std::string& actor,
                                int64_t now_ms, TrustedKeyRecord* out) {
  Impl::Write txn(impl_.get());
  SqliteDb* db = impl_->db.get();
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  TrustedKeyRecord k;
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(std::string(kKeyCols) + "WHERE key_id = ?1", &s));
    s.Bind(1, key_id);
    bool row = false;
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    if (!row) return Status::NotFound("no trusted key with id " + key_id);
    ReadKey(s, &k);
  }
  if (k.revoked_ms != 0) return Status::Conflict("key " + key_id + " is already revoked");
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "UPDATE trusted_keys SET revoked_ms = ?2, revoked_by = ?3 WHERE key_id = ?1", &s));
    s.Bind(1, key_id);
    s.Bind(2, now_ms);
    s.Bind(3, actor);
    MLOPS_RETURN_IF_ERROR(s.Run());
  }
  k.revoked_ms = now_ms;
  k.revoked_by = actor;
  AuditRecord a;
  a.at_ms = now_ms;
  a.actor = actor;
  a.action = "key.revoked";
  a.reason = "key '" + k.name + "' revoked";
  a.detail_json = "{\"key_id\":\"" + key_id + "\"}";
  MLOPS_RETURN_IF_ERROR(impl_->Audit(&a));
  MLOPS_RETURN_IF_ERROR(txn.Commit());
  *out = k;
  return Status::OK();
}

Status ModelRegistry::GetKey(const std::string& key_id, TrustedKeyRecord* out) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Stmt s;
  MLOPS_RETURN_IF_ERROR(impl_->db->Prepare(std::string(kKeyCols) + "WHERE key_id = ?1", &s));
  s.Bind(1, key_id);
  bool row = false;
  MLOPS_RETURN_IF_ERROR(s.Step(&row));
  if (!row) return Status::NotFound("no trusted key with id " + key_id);
  ReadKey(s, out);
  return Status::OK();
}

Status ModelRegistry::ListKeys(std::vector<TrustedKeyRecord>* out) {
  out->clear();
  std::lock_guard<std::mutex> lock(impl_->mu);
  Stmt s;
  MLOPS_RETURN_IF_ERROR(impl_->db->Prepare(std::string(kKeyCols) + "ORDER BY added_ms, key_id", &s));
  bool row = false;
  while (true) {
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    if (!row) break;
    ReadKey(s, &out->emplace_back());
  }
  return Status::OK();
}

Status ModelRegistry::RecordSignature(const SignatureRecord& rec) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Stmt s;
  MLOPS_RETURN_IF_ERROR(impl_->db->Prepare(
      "INSERT INTO signatures (envelope_sha256, artifact_sha256, key_id, run_id, created_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (envelope_sha256) DO NOTHING",
      &s));
  s.Bind(1, rec.envelope_sha256);
  s.Bind(2, rec.artifact_sha256);
  s.Bind(3, rec.key_id);
  s.Bind(4, rec.run_id);
  s.Bind(5, rec.created_ms);
  return s.Run();
}

Status ModelRegistry::GetSignature(const std::string& envelope_sha256, SignatureRecord* out) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Stmt s;
  MLOPS_RETURN_IF_ERROR(impl_->db->Prepare(
      "SELECT envelope_sha256, artifact_sha256, key_id, run_id, created_ms FROM signatures "
      "WHERE envelope_sha256 = ?1",
      &s));
  s.Bind(1, envelope_sha256);
  bool row = false;
  MLOPS_RETURN_IF_ERROR(s.Step(&row));
  if (!row) return Status::NotFound("no signature recorded for envelope " + envelope_sha256);
  *out = SignatureRecord{s.Text(0), s.Text(1), s.Text(2), s.Int64(3), s.Int64(4)};
  return Status::OK();
}

}  // namespace mlops::registry
