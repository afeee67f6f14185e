// ModelRegistry's private state: its SQLite connection, the mutex that
// serialises it, and the helpers every write transaction shares. Internal to
// the registry library; the methods live in sqlite_model_registry.cc and, for
// canaries, sqlite_canaries.cc.
// Thread-safety: callers hold `mu` (Write does) around every use of `db`.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mlops/registry/model_registry.h"
#include "sqlite_db.h"

namespace mlops::registry {
namespace internal {

inline std::string VersionName(const std::string& model, int64_t version) {
  return "model '" + model + "' version " + std::to_string(version);
}

}  // namespace internal

struct ModelRegistry::Impl {
  using SqliteDb = internal::SqliteDb;
  using Stmt = internal::Stmt;
  using Txn = internal::Txn;

  std::mutex mu;
  std::unique_ptr<SqliteDb> db;

  // A write transaction on the registry's connection, holding its mutex;
  // rolled back unless committed.
  class Write {
   public:
    explicit Write(Impl* impl)
        : impl_(impl), lock_(impl->mu), txn_(impl->db.get(), Txn::Mode::kWrite) {}
    Status Begin() { return txn_.Begin(); }
    // Begin, then the id of `model` (NotFound when there is no such model).
    Status BeginForModel(const std::string& model, int64_t* model_id) {
      MLOPS_RETURN_IF_ERROR(txn_.Begin());
      return impl_->ModelId(model, model_id);
    }
    Status Commit() { return txn_.Commit(); }

   private:
    Impl* impl_;
    std::lock_guard<std::mutex> lock_;
    Txn txn_;
  };

  Status ModelId(const std::string& name, int64_t* id) {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare("SELECT id FROM models WHERE name = ?1", &s));
    s.Bind(1, name);
    bool row = false;
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    if (!row) return Status::NotFound("no model named '" + name + "'");
    *id = s.Int64(0);
    return Status::OK();
  }

  Status Production(int64_t model_id, int64_t* version) {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "SELECT version FROM model_versions WHERE model_id = ?1 AND stage = 'production'", &s));
    s.Bind(1, model_id);
    bool row = false;
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    *version = row ? s.Int64(0) : 0;
    return Status::OK();
  }

  Status Stage(int64_t model_id, const std::string& model, int64_t version, std::string* stage) {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "SELECT stage FROM model_versions WHERE model_id = ?1 AND version = ?2", &s));
    s.Bind(1, model_id);
    s.Bind(2, version);
    bool row = false;
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    if (!row) return Status::NotFound("no " + internal::VersionName(model, version));
    *stage = s.Text(0);
    return Status::OK();
  }

  Status SetStage(int64_t model_id, int64_t version, const std::string& stage) {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "UPDATE model_versions SET stage = ?3 WHERE model_id = ?1 AND version = ?2", &s));
    s.Bind(1, model_id);
    s.Bind(2, version);
    s.Bind(3, stage);
    return s.Run();
  }

  Status Audit(AuditRecord* a) {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "INSERT INTO audit_log (at_ms, actor, action, model, version, from_stage, to_stage, "
        "reason, detail_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        &s));
    s.Bind(1, a->at_ms);
    s.Bind(2, a->actor);
    s.Bind(3, a->action);
    s.Bind(4, a->model);
    s.Bind(5, a->version);
    s.Bind(6, a->from_stage);
    s.Bind(7, a->to_stage);
    s.Bind(8, a->reason);
    s.Bind(9, a->detail_json.empty() ? std::string("{}") : a->detail_json);
    MLOPS_RETURN_IF_ERROR(s.Run());
    a->id = db->LastInsertId();
    return Status::OK();
  }

  // The version `alias` points at, 0 when unset.
  Status AliasVersion(int64_t model_id, const std::string& alias, int64_t* version) {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "SELECT version FROM model_aliases WHERE model_id = ?1 AND alias = ?2", &s));
    s.Bind(1, model_id);
    s.Bind(2, alias);
    bool row = false;
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    *version = row ? s.Int64(0) : 0;
    return Status::OK();
  }

  Status PutAlias(int64_t model_id, const std::string& alias, int64_t version,
                  const std::string& actor, int64_t now_ms) {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "INSERT INTO model_aliases (model_id, alias, version, set_ms, set_by) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (model_id, alias) DO UPDATE SET "
        "version = excluded.version, set_ms = excluded.set_ms, set_by = excluded.set_by",
        &s));
    s.Bind(1, model_id);
    s.Bind(2, alias);
    s.Bind(3, version);
    s.Bind(4, now_ms);
    s.Bind(5, actor);
    return s.Run();
  }

  Status RemoveAlias(int64_t model_id, const std::string& alias) {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(
        db->Prepare("DELETE FROM model_aliases WHERE model_id = ?1 AND alias = ?2", &s));
    s.Bind(1, model_id);
    s.Bind(2, alias);
    return s.Run();
  }

  Status Aliases(int64_t model_id, int64_t version, std::vector<std::string>* out) {
    out->clear();
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(
        "SELECT alias FROM model_aliases WHERE model_id = ?1 AND version = ?2 ORDER BY alias",
        &s));
    s.Bind(1, model_id);
    s.Bind(2, version);
    bool row = false;
    while (true) {
      MLOPS_RETURN_IF_ERROR(s.Step(&row));
      if (!row) break;
      out->push_back(s.Text(0));
    }
    return Status::OK();
  }
};

}  // namespace mlops::registry
