#include "models/model_service.h"

#include <spdlog/spdlog.h>

#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "mlops/registry/token_store.h"
#include "models/stable_path.h"
#include "pipeline/pipeline_parser.h"

namespace mlops::models {
namespace {

using registry::ModelVersionRecord;

constexpr const char* kSystemActor = "mlopsd";

std::string VersionText(const std::string& model, int64_t version) {
  return "model '" + model + "' version " + std::to_string(version);
}

// The subjects an envelope claims, without checking its signature: used to
// pick, among a run's envelopes, the one over the model artifact.
std::vector<std::string> PeekSubjectDigests(const std::string& envelope_json) {
  std::vector<std::string> out;
  nlohmann::json env = nlohmann::json::parse(envelope_json, nullptr, false);
  if (!env.is_object() || !env.contains("payload") || !env["payload"].is_string()) return out;
  std::string payload;
  if (!signing::Base64Decode(env["payload"].get<std::string>(), &payload)) return out;
  nlohmann::json st = nlohmann::json::parse(payload, nullptr, false);
  if (!st.is_object() || !st.contains("subject") || !st["subject"].is_array()) return out;
  for (const auto& s : st["subject"]) {
    if (s.is_object() && s.contains("digest") && s["digest"].is_object() &&
        s["digest"].contains("sha256") && s["digest"]["sha256"].is_string()) {
      out.push_back(s["digest"]["sha256"].get<std::string>());
    }
  }
  return out;
}

std::string KeyIdOf(const std::string& envelope_json) {
  nlohmann::json env = nlohmann::json::parse(envelope_json, nullptr, false);
  if (env.is_object() && env.contains("signatures") && env["signatures"].is_array() &&
      !env["signatures"].empty() && env["signatures"][0].is_object() &&
      env["signatures"][0].contains("keyid") && env["signatures"][0]["keyid"].is_string()) {
    return env["signatures"][0]["keyid"].get<std::string>();
  }
  return "";
}

Status CheckKeyName(const std::string& name) {
  if (!registry::CheckModelName(name).ok()) {
    return Status::InvalidArgument(
        "key name must be 1 to 64 characters of letters, digits, '.', '_' or '-', starting with "
        "a letter or digit");
  }
  return Status::OK();
}

}  // namespace

nlohmann::json PromoteResult::ToJson() const {
  nlohmann::json j = {{"from", from_stage},
                      {"to", to_stage},
                      {"previous_production", previous_production},
                      {"approval_pending", approval_pending}};
  if (!stable_path.empty()) j["stable_path"] = stable_path;
  if (deploy) {
    j["deploy"] = {{"ran", deploy->ran},
                   {"ok", deploy->ok()},
                   {"exit_code", deploy->exit_code},
                   {"result", deploy->Describe()}};
  }
  if (!warning.empty()) j["warning"] = warning;
  return j;
}

nlohmann::json VerifyReport::ToJson() const {
  nlohmann::json subs = nlohmann::json::array();
  for (const auto& s : subjects) subs.push_back({{"name", s.name}, {"sha256", s.sha256}});
  return {{"verified", verified},
          {"reason", reason},
          {"key_id", key_id},
          {"subjects", subs},
          {"gates_passed", gates_passed}};
}

ModelService::ModelService(registry::Store* store, registry::ModelRegistry* models,
                           registry::ArtifactStore* artifacts, Clock* clock,
                           ModelServiceOptions options)
    : store_(store), models_(models), artifacts_(artifacts), clock_(clock),
      options_(std::move(options)) {}

std::string ModelService::models_root() const { return JoinPath(options_.state_dir, "models"); }

// ---- Trust store ----------------------------------------------------------

Status ModelService::TrustKey(const std::string& pem, const std::string& name,
                              const std::string& actor, registry::TrustedKeyRecord* out) {
  MLOPS_RETURN_IF_ERROR(CheckKeyName(name));
  signing::PublicKey key;
  MLOPS_RETURN_IF_ERROR(signing::ParsePublicKey(pem, &key));
  registry::TrustedKeyRecord rec{key.key_id, key.pem, name, clock_->WallMillis(), actor, 0, ""};
  bool added = false;
  MLOPS_RETURN_IF_ERROR(models_->TrustKey(rec, &added));
  return models_->GetKey(key.key_id, out);
}

Status ModelService::RevokeKey(const std::string& key_id, const std::string& actor,
                               registry::TrustedKeyRecord* out) {
  if (!IsSha256Hex(key_id)) {
    return Status::InvalidArgument("a key id is 64 lower-case hex digits");
  }
  MLOPS_RETURN_IF_ERROR(models_->RevokeKey(key_id, actor, clock_->WallMillis(), out));
  if (options_.on_key_revoked) options_.on_key_revoked();
  return Status::OK();
}

std::vector<std::string> ModelService::RevokedKeyIds() {
  std::vector<std::string> ids;
  std::vector<registry::TrustedKeyRecord> keys;
  if (!models_->ListKeys(&keys).ok()) return ids;
  for (const auto& k : keys) {
    if (k.revoked_ms != 0) ids.push_back(k.key_id);
  }
  return ids;
}

Status ModelService::LoadTrust(const std::vector<std::string>& trusted_key_files) {
  for (const std::string& file : trusted_key_files) {
    signing::PublicKey key;
    MLOPS_RETURN_IF_ERROR(signing::ReadPublicKeyFile(file, &key));
    std::string name = file.substr(file.find_last_of('/') + 1);
    if (!CheckKeyName(name).ok()) name = "trusted_keys";
    registry::TrustedKeyRecord rec;
    Status s = TrustKey(key.pem, name, kSystemActor, &rec);
    if (s.IsConflict()) {
      spdlog::warn("trusted_keys: {}: {}", file, s.message());
      continue;
    }
    MLOPS_RETURN_IF_ERROR(s);
  }
  if (!options_.signing_key.empty()) {
    signing::PrivateKey key;
    MLOPS_RETURN_IF_ERROR(signing::PrivateKey::Load(options_.signing_key, &key));
    registry::TrustedKeyRecord rec;
    Status s = TrustKey(key.public_key().pem, "signing_key", kSystemActor, &rec);
    if (s.IsConflict()) {
      spdlog::warn("signing_key {}: {}; runs will sign with a key promotions refuse",
                   options_.signing_key, s.message());
    } else {
      MLOPS_RETURN_IF_ERROR(s);
    }
  }
  return Status::OK();
}

Status ModelService::TrustedKeys(std::vector<signing::TrustedKey>* out) {
  return ListTrustedKeys(models_, out);
}

// ---- Registration -----------------------------------------------------------

Status ModelService::OnRunFinished(const registry::RunRecord& run,
                                   const pipeline::Pipeline& pipeline,
                                   ModelVersionRecord* registered) {
  if (!pipeline.model || run.status != registry::RunStatus::kSucceeded) return Status::OK();
  const pipeline::ModelSpec& spec = *pipeline.model;
  ModelVersionRecord existing;
  if (models_->FindVersionByRun(run.id, &existing).ok()) {
    if (registered) *registered = existing;
    return Status::OK();
  }
  // Stage names may hold dots: the longest stage name followed by '.' wins
  // (as the parser resolves it).
  std::string stage;
  for (const auto& st : pipeline.stages) {
    if (spec.artifact.size() > st.name.size() + 1 && spec.artifact.starts_with(st.name + ".") &&
        st.name.size() > stage.size()) {
      stage = st.name;
    }
  }
  if (stage.empty()) {
    return Status::InvalidArgument("model.artifact '" + spec.artifact +
                                   "' names no stage of pipeline '" + pipeline.name + "'");
  }
  const std::string output = spec.artifact.substr(stage.size() + 1);

  std::vector<registry::StageAttemptRecord> attempts;
  MLOPS_RETURN_IF_ERROR(store_->ListAttempts(run.id, &attempts));
  std::map<int64_t, const registry::StageAttemptRecord*> by_id;
  for (const auto& a : attempts) by_id[a.id] = &a;
  std::vector<registry::ArtifactEdge> edges;
  MLOPS_RETURN_IF_ERROR(store_->ListRunEdges(run.id, &edges));

  ModelVersionRecord v;
  v.model = spec.name;
  v.run_id = run.id;
  std::vector<std::string> envelopes;
  std::string evaluation_sha;
  for (const auto& e : edges) {
    if (e.kind != registry::EdgeKind::kProduced) continue;
    auto it = by_id.find(e.attempt_id);
    // A cache hit stands for the attempt whose outputs it reused.
    if (it == by_id.end() || (it->second->status != registry::AttemptStatus::kSucceeded &&
                              it->second->status != registry::AttemptStatus::kCached)) {
      continue;
    }
    if (it->second->stage == stage && e.name == output) v.artifact_sha256 = e.artifact_sha256;
    if (e.name == "evaluation.json" || e.name.ends_with("/evaluation.json")) {
      evaluation_sha = e.artifact_sha256;
    }
    registry::ArtifactRecord art;
    if (store_->GetArtifact(e.artifact_sha256, &art).ok() &&
        art.media_type == signing::kEnvelopeMediaType) {
      envelopes.push_back(e.artifact_sha256);
    }
  }
  if (v.artifact_sha256.empty()) {
    return Status::NotFound("run " + std::to_string(run.id) + " produced no output '" + output +
                            "' in stage '" + stage + "' (model.artifact " + spec.artifact + ")");
  }
  // The envelope over the model artifact; failing that, any envelope of the
  // run (promotion then refuses it, saying whose manifest it is).
  std::string envelope_json;
  for (const auto& sha : envelopes) {
    std::string text;
    if (!ReadFile(artifacts_->PathFor(sha), &text).ok()) continue;
    const auto digests = PeekSubjectDigests(text);
    const bool covers = std::find(digests.begin(), digests.end(), v.artifact_sha256) != digests.end();
    if (covers || v.envelope_sha256.empty()) {
      v.envelope_sha256 = sha;
      envelope_json = text;
    }
    if (covers) break;
  }
  nlohmann::json metrics = nlohmann::json::object();
  if (!evaluation_sha.empty()) {
    std::string text;
    if (ReadFile(artifacts_->PathFor(evaluation_sha), &text).ok()) {
      nlohmann::json ev = nlohmann::json::parse(text, nullptr, false);
      if (ev.is_object()) {
        v.gates_passed = ev.contains("passed") && ev["passed"].is_boolean() && ev["passed"].get<bool>();
        if (ev.contains("metrics") && ev["metrics"].is_object() && ev["metrics"].contains("values")) {
          metrics = ev["metrics"]["values"];
        }
      }
    }
  }
  v.metrics_json = metrics.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

  std::vector<NamedDigest> parents;
  for (const auto& e : edges) {
    auto it = by_id.find(e.attempt_id);
    if (e.kind == registry::EdgeKind::kConsumed && it != by_id.end() &&
        it->second->plugin_name == "signer") {
      parents.emplace_back(e.name, e.artifact_sha256);
    }
  }
  nlohmann::json provenance;
  MLOPS_RETURN_IF_ERROR(ProvenanceBuilder(store_).Build(run.id, parents, &provenance));
  provenance["model_artifact"] = {{"stage", stage}, {"output", output}, {"sha256", v.artifact_sha256}};
  v.provenance_json = provenance.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

  MLOPS_RETURN_IF_ERROR(
      models_->RegisterVersion(pipeline.name, kSystemActor, clock_->WallMillis(), &v));
  if (!v.envelope_sha256.empty()) {
    (void)models_->RecordSignature({v.envelope_sha256, v.artifact_sha256, KeyIdOf(envelope_json),
                                    run.id, clock_->WallMillis()});
  }
  spdlog::info("model {} version {} registered from run {}", v.model, v.version, run.id);
  if (registered) *registered = v;

  // The policy: what happens without anyone asking.
  auto automatic = [&](const std::string& to) {
    PromoteRequest req;
    req.model = v.model;
    req.version = v.version;
    req.to_stage = to;
    req.actor = kSystemActor;
    req.role = "admin";
    req.reason = "policy: " + to + " on_gates";
    req.deploy_in_background = true;  // on the scheduler's thread: never wait for a hook
    PromoteResult r;
    Status s = Promote(req, &r);
    if (!s.ok()) spdlog::warn("{}: automatic promotion to {} refused: {}", VersionText(v.model, v.version), to, s.message());
    return s.ok();
  };
  // With a canary policy, a version that follows a production one goes to
  // production through its canary (daemon/serving), not at once.
  registry::ModelRecord m;
  const bool through_canary =
      spec.canary && models_->GetModel(v.model, &m).ok() && m.production_version != 0;
  if (spec.promote_staging == "on_gates" && v.gates_passed) {
    if (automatic("staging") && spec.promote_production == "on_gates" && !through_canary) {
      automatic("production");
    }
  } else if (spec.promote_staging == "on_gates") {
    Audit({.actor = kSystemActor,
           .action = "promote.refused",
           .model = v.model,
           .version = v.version,
           .from_stage = "none",
           .to_stage = "staging",
           .reason = "the evaluator's gates did not pass"});
  }
  return Status::OK();
}

// ---- Checks -----------------------------------------------------------------

Status ModelService::Check(const ModelVersionRecord& v, VerifyReport* out) {
  *out = VerifyReport{};
  out->gates_passed = v.gates_passed;
  std::string envelope;
  if (!v.envelope_sha256.empty() &&
      (!IsSha256Hex(v.envelope_sha256) ||
       !ReadFile(artifacts_->PathFor(v.envelope_sha256), &envelope).ok())) {
    out->reason = "the signature envelope " + v.envelope_sha256 + " is not in the artifact store";
    return Status::OK();
  }
  std::vector<signing::TrustedKey> trusted;
  MLOPS_RETURN_IF_ERROR(TrustedKeys(&trusted));
  CheckSignedVersion(v, envelope, "the artifact store", trusted,
                     [&](const signing::Subject& s, std::string* sha) -> std::string {
                       if (!artifacts_->Contains(s.sha256)) {
                         return "file '" + s.name + "' (sha256 " + s.sha256 +
                                ") is not in the artifact store";
                       }
                       uint64_t size = 0;
                       Status hs = Sha256File(artifacts_->PathFor(s.sha256), sha, &size);
                       return hs.ok() ? "" : "file '" + s.name + "': " + hs.message();
                     },
                     out);
  return Status::OK();
}

Status ModelService::Verify(const std::string& model, int64_t version, VerifyReport* out) {
  ModelVersionRecord v;
  MLOPS_RETURN_IF_ERROR(models_->GetVersion(model, version, &v));
  MLOPS_RETURN_IF_ERROR(Check(v, out));
  if (!out->verified) return Status::OK();
  // Promotions republish from the store; a check asked for also covers the
  // copies that deploy hooks and readers of the stable path use.
  std::string problem;
  MLOPS_RETURN_IF_ERROR(CheckPublished(models_root(), model, version, out->subjects, &problem));
  if (!problem.empty()) {
    out->verified = false;
    out->reason = problem;
  }
  return Status::OK();
}

Status ModelService::PolicyOf(const std::string& model, pipeline::ModelSpec* spec) {
  registry::ModelRecord m;
  MLOPS_RETURN_IF_ERROR(models_->GetModel(model, &m));
  registry::PipelineRecord p;
  Status ps = store_->GetPipelineByName(m.pipeline, &p);
  if (!ps.ok() && !ps.IsNotFound()) return ps;
  pipeline::Pipeline parsed;
  std::vector<pipeline::PipelineError> errors;
  if (!ps.ok() || !pipeline::ParsePipeline(p.definition, {}, &parsed, &errors) || !parsed.model ||
      parsed.model->name != model) {
    // The pipeline no longer describes this model: nothing automatic, and
    // production only by an admin.
    *spec = pipeline::ModelSpec{model, "", "manual", "manual", std::nullopt};
    return Status::OK();
  }
  *spec = *parsed.model;
  return Status::OK();
}

Status ModelService::Refuse(const PromoteRequest& req, const std::string& from,
                            const std::string& why, Status as) {
  Audit({.actor = req.actor,
         .action = "promote.refused",
         .model = req.model,
         .version = req.version,
         .from_stage = from,
         .to_stage = req.to_stage,
         .reason = why});
  return as;
}

// ---- Promotion --------------------------------------------------------------

Status ModelService::Promote(const PromoteRequest& req, PromoteResult* out) {
  MLOPS_RETURN_IF_ERROR(registry::CheckModelName(req.model));
  if (req.version <= 0) return Status::InvalidArgument("version must be a positive integer");
  if (req.to_stage != "staging" && req.to_stage != "production") {
    return Status::InvalidArgument("'to' must be staging or production, not '" + req.to_stage + "'");
  }
  if (!req.request_id.empty()) MLOPS_RETURN_IF_ERROR(registry::CheckRequestId(req.request_id));
  std::lock_guard<std::mutex> lock(mu_);
  ModelVersionRecord v;
  MLOPS_RETURN_IF_ERROR(models_->GetVersion(req.model, req.version, &v));
  registry::ModelRecord m;
  MLOPS_RETURN_IF_ERROR(models_->GetModel(req.model, &m));
  pipeline::ModelSpec policy;
  MLOPS_RETURN_IF_ERROR(PolicyOf(req.model, &policy));
  *out = PromoteResult{};
  out->from_stage = v.stage;
  out->to_stage = req.to_stage;
  const std::string& step_policy =
      req.to_stage == "staging" ? policy.promote_staging : policy.promote_production;
  if (step_policy == "never") {
    return Refuse(req, v.stage, "the pipeline's policy never promotes to " + req.to_stage,
                  Status::PermissionDenied("promotion refused: model." + std::string("promote.") +
                                           req.to_stage + " is never"));
  }
  if (registry::RoleRank(req.role) < registry::RoleRank("operator")) {
    return Status::PermissionDenied("promotion needs the operator or admin role");
  }
  bool consume_approval = false;
  if (req.to_stage == "production") {
    if (m.production_version > req.version) {
      const std::string why = "version " + std::to_string(req.version) +
                              " is older than production version " +
                              std::to_string(m.production_version) +
                              ": a downgrade is a rollback, use mlctl models rollback";
      return Refuse(req, v.stage, why, Status::Conflict("promotion refused: " + why));
    }
    if (step_policy == "approval") {
      registry::ApprovalRecord ap;
      Status as = models_->GetApproval(req.model, req.version, "production", &ap);
      if (as.ok() && ap.state == "approved") {
        consume_approval = true;
      } else {
        if (v.stage == "production") {
          return Status::Conflict(VersionText(req.model, req.version) + " is already in production");
        }
        VerifyReport report;
        MLOPS_RETURN_IF_ERROR(Check(v, &report));
        if (!report.verified) {
          return Refuse(req, v.stage, report.reason,
                        Status::Conflict("promotion refused: " + report.reason));
        }
        MLOPS_RETURN_IF_ERROR(models_->RequestApproval(req.model, req.version, "production",
                                                       req.actor, clock_->WallMillis(), &ap));
        out->approval_pending = true;
        return Status::OK();
      }
    } else if (req.role != "admin") {
      const std::string why = "promotion to production needs the admin role";
      return Refuse(req, v.stage, why, Status::PermissionDenied(why));
    }
  }
  VerifyReport report;
  MLOPS_RETURN_IF_ERROR(Check(v, &report));
  if (!report.verified) {
    return Refuse(req, v.stage, report.reason,
                  Status::Conflict("promotion refused: " + report.reason));
  }
  return Move(req, req.actor == kSystemActor ? "auto-promote" : "promote", consume_approval, v,
              report, out);
}

Status ModelService::Move(const PromoteRequest& req, const std::string& action,
                          bool consume_approval, const ModelVersionRecord& v,
                          const VerifyReport& report, PromoteResult* out) {
  registry::TransitionRequest t;
  t.model = req.model;
  t.version = req.version;
  t.to_stage = req.to_stage;
  t.action = action;
  t.actor = req.actor;
  t.reason = req.reason;
  t.request_id = req.request_id;
  t.expected_production = req.expected_production;
  t.consume_approval = consume_approval;
  t.detail_json = nlohmann::json{{"key_id", report.key_id},
                                 {"artifact_sha256", v.artifact_sha256},
                                 {"envelope_sha256", v.envelope_sha256},
                                 {"request_id", req.request_id}}
                      .dump();
  t.now_ms = clock_->WallMillis();
  registry::TransitionResult tr;
  Status s = models_->Transition(t, &tr);
  if (!s.ok()) {
    if (s.IsConflict() || s.IsPermissionDenied()) return Refuse(req, v.stage, s.message(), s);
    return s;
  }
  out->from_stage = tr.from_stage;
  out->to_stage = req.to_stage;
  out->previous_production = tr.previous_production;
  if (req.to_stage == "production") {
    AfterProduction(req.actor, v, report, req.deploy_in_background, out);
  }
  return Status::OK();
}

void ModelService::Audit(registry::AuditRecord a) {
  a.at_ms = clock_->WallMillis();
  (void)models_->AppendAudit(&a);
}

void ModelService::AuditProduction(const std::string& actor, const ModelVersionRecord& v,
                                   const std::string& action, const std::string& reason,
                                   const nlohmann::json& detail) {
  Audit({.actor = actor,
         .action = action,
         .model = v.model,
         .version = v.version,
         .from_stage = "",  // the move itself has its own entry, with both stages
         .to_stage = "production",
         .reason = reason,
         .detail_json = detail.dump()});
}

void ModelService::AfterProduction(const std::string& actor, const ModelVersionRecord& v,
                                   const VerifyReport& report, bool background,
                                   PromoteResult* out) {
  std::string dir;
  Status ps = PublishVersion(models_root(), v.model, v.version, report.subjects,
                             v.envelope_sha256, *artifacts_, &dir);
  if (ps.ok()) ps = SwapProduction(models_root(), v.model, v.version);
  if (!ps.ok()) {
    out->warning = "stable path not updated: " + ps.message();
    AuditProduction(actor, v, "publish.failed", ps.message(), nlohmann::json::object());
    spdlog::error("{}: {}", VersionText(v.model, v.version), out->warning);
    return;
  }
  out->stable_path = ProductionLink(models_root(), v.model);
  AuditProduction(actor, v, "publish",
                  "stable path " + out->stable_path + " -> versions/" + std::to_string(v.version),
                  {{"path", out->stable_path}});
  if (options_.deploy_hook.empty()) return;
  std::string model_file;
  for (const auto& s : report.subjects) {
    if (s.sha256 == v.artifact_sha256) model_file = s.name;
  }
  std::map<std::string, std::string> env = {
      {"MLOPS_MODEL", v.model},
      {"MLOPS_MODEL_VERSION", std::to_string(v.version)},
      {"MLOPS_MODEL_PATH", JoinPath(out->stable_path, model_file)},
      {"MLOPS_MODEL_SHA256", v.artifact_sha256}};
  if (background) {
    deploy_worker_.Post([this, actor, v, env] { Deploy(actor, v, env, true); });
    return;
  }
  DeployResult d = Deploy(actor, v, env, false);
  out->deploy = d;
  if (!d.ok()) out->warning = d.Describe() + " (the promotion stands)";
}

DeployResult ModelService::Deploy(const std::string& actor, const ModelVersionRecord& v,
                                  const std::map<std::string, std::string>& env,
                                  bool only_if_current) {
  std::lock_guard<std::mutex> lock(hook_mu_);
  if (only_if_current) {
    registry::ModelRecord m;
    if (!models_->GetModel(v.model, &m).ok() || m.production_version != v.version) {
      AuditProduction(actor, v, "deploy.skipped",
                      "version " + std::to_string(v.version) +
                          " is no longer in production: the hook runs for the newer one",
                      nlohmann::json::object());
      return DeployResult{};
    }
  }
  DeployResult d = RunDeployHook(options_.deploy_hook, env,
                                 JoinPath(JoinPath(models_root(), v.model), "deploy.log"),
                                 options_.deploy_timeout);
  AuditProduction(actor, v, d.ok() ? "deploy" : "deploy.failed", d.Describe(),
                  {{"exit_code", d.exit_code}, {"signal", d.signal}, {"timed_out", d.timed_out}});
  if (!d.ok()) spdlog::warn("{}: {}", VersionText(v.model, v.version), d.Describe());
  return d;
}

Status ModelService::Approve(const std::string& model, int64_t version, const std::string& actor,
                             const std::string& role, PromoteResult* out) {
  MLOPS_RETURN_IF_ERROR(registry::CheckModelName(model));
  if (version <= 0) return Status::InvalidArgument("version must be a positive integer");
  if (role != "admin") return Status::PermissionDenied("approving needs the admin role");
  {
    registry::ApprovalRecord ap;
    MLOPS_RETURN_IF_ERROR(
        models_->Approve(model, version, "production", actor, clock_->WallMillis(), &ap));
  }
  registry::ModelRecord m;
  MLOPS_RETURN_IF_ERROR(models_->GetModel(model, &m));
  PromoteRequest req;
  req.model = model;
  req.version = version;
  req.to_stage = "production";
  req.actor = actor;
  req.role = role;
  req.reason = "approved by " + actor;
  req.expected_production = m.production_version;
  return Promote(req, out);
}

Status ModelService::Rollback(const std::string& model, int64_t version, const std::string& reason,
                              const std::string& actor, const std::string& role,
                              const std::string& request_id, PromoteResult* out) {
  MLOPS_RETURN_IF_ERROR(registry::CheckModelName(model));
  if (version <= 0) return Status::InvalidArgument("version must be a positive integer");
  if (reason.empty()) return Status::InvalidArgument("a rollback needs a reason");
  if (!request_id.empty()) MLOPS_RETURN_IF_ERROR(registry::CheckRequestId(request_id));
  if (role != "admin") return Status::PermissionDenied("rollback needs the admin role");
  std::lock_guard<std::mutex> lock(mu_);
  ModelVersionRecord v;
  MLOPS_RETURN_IF_ERROR(models_->GetVersion(model, version, &v));
  registry::ModelRecord m;
  MLOPS_RETURN_IF_ERROR(models_->GetModel(model, &m));
  PromoteRequest req;
  req.model = model;
  req.version = version;
  req.to_stage = "production";
  req.reason = reason;
  req.actor = actor;
  req.role = role;
  req.request_id = request_id;
  req.expected_production = m.production_version;
  if (m.production_version == version) {
    return Status::Conflict(VersionText(model, version) + " is already in production");
  }
  bool was = false;
  MLOPS_RETURN_IF_ERROR(models_->WasProduction(model, version, &was));
  if (!was) {
    const std::string why = "version " + std::to_string(version) +
                            " was never in production: a rollback returns to an earlier "
                            "production version (use mlctl models promote for new ones)";
    return Refuse(req, v.stage, why, Status::Conflict("rollback refused: " + why));
  }
  VerifyReport report;
  MLOPS_RETURN_IF_ERROR(Check(v, &report));
  if (!report.verified) {
    return Refuse(req, v.stage, report.reason, Status::Conflict("rollback refused: " + report.reason));
  }
  *out = PromoteResult{};
  return Move(req, "rollback", false, v, report, out);
}

// ---- Attempt environment ----------------------------------------------------

std::string ModelService::ProductionModelFile(const std::string& model) {
  registry::ModelRecord m;
  if (!models_->GetModel(model, &m).ok() || m.production_version == 0) return "";
  ModelVersionRecord v;
  if (!models_->GetVersion(model, m.production_version, &v).ok() || v.envelope_sha256.empty()) {
    return "";
  }
  std::string envelope;
  if (!ReadFile(artifacts_->PathFor(v.envelope_sha256), &envelope).ok()) return "";
  nlohmann::json env = nlohmann::json::parse(envelope, nullptr, false);
  std::string payload;
  if (!env.is_object() || !env.contains("payload") || !env["payload"].is_string() ||
      !signing::Base64Decode(env["payload"].get<std::string>(), &payload)) {
    return "";
  }
  nlohmann::json st = nlohmann::json::parse(payload, nullptr, false);
  if (!st.is_object() || !st.contains("subject") || !st["subject"].is_array()) return "";
  for (const auto& s : st["subject"]) {
    if (!s.is_object() || !s.contains("name") || !s["name"].is_string()) continue;
    const std::string name = s["name"].get<std::string>();
    if (s.value("/digest/sha256"_json_pointer, std::string()) != v.artifact_sha256) continue;
    if (!signing::CheckSubjectName(name).ok()) return "";
    const std::string path = JoinPath(ProductionLink(models_root(), model), name);
    return PathExists(path) ? path : "";
  }
  return "";
}

void ModelService::AttemptEnv(const AttemptStartInfo& info, std::map<std::string, std::string>* env) {
  if (info.plugin == "signer") {
    if (!options_.signing_key.empty()) (*env)["MLOPS_SIGNING_KEY"] = options_.signing_key;
    if (info.model) (*env)["MLOPS_MODEL_NAME"] = info.model->name;
    nlohmann::json provenance;
    Status s = ProvenanceBuilder(store_).Build(info.run_id, info.inputs, &provenance);
    if (s.ok()) {
      const std::string dir = JoinPath(options_.state_dir, "provenance");
      const std::string path = JoinPath(dir, "run-" + std::to_string(info.run_id) + "-attempt-" +
                                                 std::to_string(info.attempt_id) + ".json");
      s = MakeDirs(dir, 0700);
      if (s.ok()) {
        s = WriteFileAtomic(
            path, provenance.dump(2, ' ', false, nlohmann::json::error_handler_t::replace), 0600);
      }
      if (s.ok()) (*env)["MLOPS_PROVENANCE"] = path;
    }
    if (!s.ok()) spdlog::error("run {}: provenance for stage {}: {}", info.run_id, info.stage, s.message());
  }
  if (info.plugin == "evaluator" && info.model) {
    const std::string file = ProductionModelFile(info.model->name);
    if (!file.empty()) (*env)["MLOPS_PRODUCTION_MODEL"] = file;
  }
}

}  // namespace mlops::models
