#include "serving/canary_starter.h"

#include <spdlog/spdlog.h>

#include "mlops/registry/token_store.h"
#include "models/stable_path.h"
#include "serving/canary_policy_json.h"

namespace mlops::serving {
namespace {

Status NeedRole(const std::string& role, const std::string& needed, const std::string& what) {
  if (registry::RoleRank(role) >= registry::RoleRank(needed)) return Status::OK();
  return Status::PermissionDenied(what + " needs the " + needed + " role; the caller's role is '" +
                                  (role.empty() ? std::string("none") : role) + "'");
}

}  // namespace

CanaryStarter::CanaryStarter(models::ModelService* service, registry::ModelRegistry* models,
                             registry::ArtifactStore* artifacts, Clock* clock)
    : service_(service), models_(models), artifacts_(artifacts), clock_(clock) {}

Status CanaryStarter::Start(const std::string& model, int64_t version, std::optional<int> share,
                            const std::string& actor, const std::string& role,
                            registry::CanaryRecord* out) {
  MLOPS_RETURN_IF_ERROR(registry::CheckModelName(model));
  MLOPS_RETURN_IF_ERROR(NeedRole(role, "admin", "starting a canary"));
  return StartChecked(model, version, share, actor, out);
}

Status CanaryStarter::StartChecked(const std::string& model, int64_t version,
                                   std::optional<int> share, const std::string& actor,
                                   registry::CanaryRecord* out) {
  registry::ModelRecord m;
  MLOPS_RETURN_IF_ERROR(models_->GetModel(model, &m));
  if (m.production_version == 0) {
    return Status::Conflict("model '" + model +
                            "' has no production version for a canary to be compared with");
  }
  if (version < m.production_version) {
    return Status::Conflict("version " + std::to_string(version) + " is older than production version " +
                            std::to_string(m.production_version) + ": that is a rollback (mlctl models rollback)");
  }
  registry::ModelVersionRecord v;
  MLOPS_RETURN_IF_ERROR(models_->GetVersion(model, version, &v));
  models::VerifyReport report;
  MLOPS_RETURN_IF_ERROR(service_->Verify(model, version, &report));
  if (!report.verified) return Status::Conflict("canary refused: " + report.reason);
  if (!report.gates_passed) return Status::Conflict("canary refused: the evaluator's gates did not pass");
  pipeline::ModelSpec spec;
  MLOPS_RETURN_IF_ERROR(service_->PolicyOf(model, &spec));
  const pipeline::CanaryPolicy policy = spec.canary.value_or(pipeline::CanaryPolicy{});
  std::string dir;
  MLOPS_RETURN_IF_ERROR(models::PublishVersion(service_->models_root(), model, version,
                                               report.subjects, v.envelope_sha256, *artifacts_, &dir));
  registry::CanaryRecord c;
  c.model = model;
  c.version = version;
  c.share_percent = share.value_or(policy.steps.front());
  c.policy_json = CanaryPolicyToJson(policy);
  MLOPS_RETURN_IF_ERROR(models_->StartCanary(
      &c, {actor, "canary at " + std::to_string(c.share_percent) + "% of '" + model + "'",
           c.policy_json, clock_->WallMillis()}));
  spdlog::info("canary {} version {} started at {}% (published at {})", model, version,
               c.share_percent, dir);
  if (out) *out = c;
  return Status::OK();
}

Status CanaryStarter::SetShare(const std::string& model, int share, const std::string& actor,
                               const std::string& role, registry::CanaryRecord* out) {
  MLOPS_RETURN_IF_ERROR(registry::CheckModelName(model));
  MLOPS_RETURN_IF_ERROR(NeedRole(role, "admin", "changing a canary's share"));
  registry::CanaryRecord c;
  MLOPS_RETURN_IF_ERROR(models_->GetCanary(model, &c));
  MLOPS_RETURN_IF_ERROR(models_->UpdateCanary(
      model, c.version, share, c.state,
      {actor, "share set to " + std::to_string(share) + "% by hand", "{}", clock_->WallMillis()}));
  return models_->GetCanary(model, out);
}

Status CanaryStarter::Stop(const std::string& model, const std::string& reason,
                           const std::string& actor, const std::string& role) {
  MLOPS_RETURN_IF_ERROR(registry::CheckModelName(model));
  MLOPS_RETURN_IF_ERROR(NeedRole(role, "operator", "stopping a canary"));
  registry::CanaryRecord c;
  MLOPS_RETURN_IF_ERROR(models_->GetCanary(model, &c));
  return models_->EndCanary(model, c.version, "canary.stop",
                            {actor, reason.empty() ? "stopped by hand" : reason, "{}",
                             clock_->WallMillis()});
}

void CanaryStarter::OnVersionRegistered(const registry::ModelVersionRecord& registered) {
  if (registered.model.empty()) return;
  pipeline::ModelSpec spec;
  registry::ModelVersionRecord v;
  registry::CanaryRecord existing;
  if (!service_->PolicyOf(registered.model, &spec).ok() || !spec.canary) return;
  if (!models_->GetVersion(registered.model, registered.version, &v).ok() || v.stage != "staging") {
    return;
  }
  if (models_->GetCanary(v.model, &existing).ok()) {
    spdlog::info("canary {}: version {} waits; version {} is the canary now", v.model, v.version,
                 existing.version);
    return;
  }
  Status s = StartChecked(v.model, v.version, std::nullopt, "mlopsd", nullptr);
  if (!s.ok() && !s.IsConflict()) {
    spdlog::warn("canary {} version {} not started: {}", v.model, v.version, s.message());
  } else if (!s.ok()) {
    spdlog::info("canary {} version {} not started: {}", v.model, v.version, s.message());
  }
}

}  // namespace mlops::serving
