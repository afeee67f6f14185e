// ModelService with a real SQLite registry, a real artifact store and real
// Ed25519 signatures: registration from a run, the automatic policy, every
// refusal (unsigned, tampered file, revoked key, another artifact's
// manifest, failed gates), roles, approvals, downgrade and rollback,
// replay and stale requests, the stable production path and the deploy hook.
#include "models/model_service.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "../registry/temp_dir.h"
#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "models/provenance.h"
#include "models/stable_path.h"
#include "pipeline/pipeline_parser.h"
#include "serving/canary_starter.h"

namespace mlops::models {
namespace {

constexpr const char* kPipeline = R"(version: 1
name: toy
stages:
  - name: train
    uses: exec
    run: /bin/true
    outputs: [model.mlp]
  - name: evaluate
    uses: exec
    needs: [train]
    run: /bin/true
    outputs: [evaluation.json]
  - name: sign
    uses: signer
    needs: [train]
    inputs: [model.mlp]
model:
  name: toy
  artifact: train.model.mlp
  promote: { staging: on_gates, production: PRODUCTION }
)";

enum class Sign { kModel, kNothing, kOtherArtifact };

class ModelServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Init("manual"); }

  void Init(const std::string& production_policy, std::vector<std::string> hook = {}) {
    state_ = dir_.Join("state");
    ASSERT_TRUE(MakeDirs(state_, 0700).ok());
    ASSERT_TRUE(registry::OpenSqliteStore(JoinPath(state_, "registry.db"), &store_).ok());
    ASSERT_TRUE(registry::OpenSqliteModelRegistry(JoinPath(state_, "registry.db"), &models_).ok());
    artifacts_ = std::make_unique<registry::ArtifactStore>(JoinPath(state_, "artifacts"));
    signing::PublicKey pub;
    key_path_ = dir_.Join("signing.key");
    if (!PathExists(key_path_)) {
      ASSERT_TRUE(signing::GenerateKeyPair(key_path_, dir_.Join("signing.pub"), &pub).ok());
    }
    ASSERT_TRUE(signing::PrivateKey::Load(key_path_, &key_).ok());
    ModelServiceOptions o;
    o.state_dir = state_;
    o.signing_key = key_path_;
    o.deploy_hook = std::move(hook);
    o.deploy_timeout = std::chrono::seconds(10);
    service_ = std::make_unique<ModelService>(store_.get(), models_.get(), artifacts_.get(),
                                              &clock_, o);
    ASSERT_TRUE(service_->LoadTrust({}).ok());
    std::string yaml = kPipeline;
    yaml.replace(yaml.find("PRODUCTION"), 10, production_policy);
    std::vector<pipeline::PipelineError> errors;
    ASSERT_TRUE(pipeline::ParsePipeline(yaml, {}, &pipeline_, &errors));
    registry::PipelineRecord p;
    p.name = "toy";
    p.definition = yaml;
    p.definition_sha256 = Sha256Hex(yaml);
    p.source_dir = dir_.path();
    ASSERT_TRUE(store_->UpsertPipeline(&p).ok());
    pipeline_id_ = p.id;
  }

  registry::ArtifactRecord Ingest(const std::string& name, const std::string& content,
                                  const std::string& media_type = "") {
    const std::string path = dir_.Join("in-" + std::to_string(++files_) + "-" + name);
    EXPECT_TRUE(WriteFileAtomic(path, content).ok());
    registry::ArtifactRecord rec;
    EXPECT_TRUE(artifacts_->Ingest(path, media_type, &rec).ok());
    return rec;
  }

  int64_t Attempt(int64_t run, const std::string& stage, const std::string& plugin,
                  std::vector<std::pair<registry::ArtifactRecord, std::string>> produced,
                  std::vector<std::pair<registry::ArtifactRecord, std::string>> consumed = {}) {
    registry::StageAttemptRecord a;
    a.run_id = run;
    a.stage = stage;
    a.plugin_name = plugin;
    a.plugin_version = "1";
    a.plugin_sha256 = std::string(64, '1');
    a.params_json = R"({"lr": 0.1, "api_token": "canary-SECRET-123", "nested": {"password": "x"}})";
    EXPECT_TRUE(store_->CreateAttempt(&a).ok());
    registry::AttemptResult r;
    r.attempt = a;
    r.attempt.status = registry::AttemptStatus::kSucceeded;
    r.attempt.exit_code = 0;
    for (auto& [art, name] : produced) {
      r.artifacts.push_back(art);
      r.edges.push_back({a.id, art.sha256, registry::EdgeKind::kProduced, name});
    }
    for (auto& [art, name] : consumed) {
      r.artifacts.push_back(art);
      r.edges.push_back({a.id, art.sha256, registry::EdgeKind::kConsumed, name});
    }
    EXPECT_TRUE(store_->FinishAttempt(r).ok());
    return a.id;
  }

  // A succeeded run that trained `model_bytes`, evaluated it and signed it.
  registry::ModelVersionRecord Run(const std::string& model_bytes, bool gates = true,
                                   Sign sign = Sign::kModel) {
    registry::RunRecord run;
    run.pipeline_id = pipeline_id_;
    run.trigger = "manual";
    run.commit = "abc123";
    EXPECT_TRUE(store_->CreateRun(&run).ok());
    auto model = Ingest("model.mlp", model_bytes);
    auto eval = Ingest("evaluation.json",
                       std::string(R"({"version": 1, "passed": )") + (gates ? "true" : "false") +
                           R"(, "metrics": {"values": {"accuracy": 0.97}}})");
    Attempt(run.id, "train", "exec", {{model, "model.mlp"}});
    Attempt(run.id, "evaluate", "exec", {{eval, "evaluation.json"}});
    if (sign != Sign::kNothing) {
      std::string signed_sha = model.sha256;
      if (sign == Sign::kOtherArtifact) signed_sha = Ingest("other.mlp", "another model").sha256;
      auto statement = signing::MakeStatement({{"model.mlp", signed_sha}}, {{"run_id", run.id}});
      std::string envelope;
      EXPECT_TRUE(signing::SignEnvelope(key_, signing::kPayloadType, statement.dump(), &envelope).ok());
      auto env = Ingest("model.sig.json", envelope, signing::kEnvelopeMediaType);
      Attempt(run.id, "sign", "signer", {{env, "model.sig.json"}}, {{model, "model.mlp"}});
    }
    run.status = registry::RunStatus::kSucceeded;
    EXPECT_TRUE(store_->UpdateRun(run).ok());
    registry::ModelVersionRecord v;
    Status s = service_->OnRunFinished(run, pipeline_, &v);
    EXPECT_TRUE(s.ok()) << s.ToString();
    // Read back: the policy may have moved it.
    EXPECT_TRUE(models_->GetVersion("toy", v.version, &v).ok());
    return v;
  }

  PromoteRequest Req(int64_t version, const std::string& to, const std::string& role = "admin") {
    PromoteRequest r;
    r.model = "toy";
    r.version = version;
    r.to_stage = to;
    r.actor = role == "admin" ? "root-admin" : "ops";
    r.role = role;
    r.reason = "test";
    registry::ModelRecord m;
    EXPECT_TRUE(models_->GetModel("toy", &m).ok());
    r.expected_production = m.production_version;
    r.request_id = "request-" + std::to_string(++requests_);
    return r;
  }

  // Starts over with a deploy hook (a shell, asked for explicitly) that
  // creates `go`.waiting, waits up to 5 s for the file `go`, then runs `then`.
  void InitWithHookWaitingFor(const std::string& policy, const std::string& go,
                              const std::string& then) {
    store_.reset();
    models_.reset();
    service_.reset();
    Init(policy, {"/bin/sh", "-c",
                  ": > " + go + ".waiting; i=0; while [ ! -e " + go + " ] && [ $i -lt 500 ]; do "
                  "sleep 0.01; "
                  "i=$((i+1)); done; " + then});
  }
  std::string LastAudit(const std::string& action) {
    std::vector<registry::AuditRecord> audit;
    EXPECT_TRUE(models_->ListAudit({"toy", 1000, 0}, &audit).ok());
    for (const auto& a : audit) {
      if (a.action == action) return a.reason;
    }
    return "<none>";
  }

  std::string ProductionContent() {
    std::string text;
    (void)ReadFile(JoinPath(ProductionLink(service_->models_root(), "toy"), "model.mlp"), &text);
    return text;
  }

  testing::TempDir dir_;
  std::string state_, key_path_;
  FakeClock clock_;
  signing::PrivateKey key_;
  std::unique_ptr<registry::Store> store_;
  std::unique_ptr<registry::ModelRegistry> models_;
  std::unique_ptr<registry::ArtifactStore> artifacts_;
  std::unique_ptr<ModelService> service_;
  pipeline::Pipeline pipeline_;
  int64_t pipeline_id_ = 0;
  int files_ = 0, requests_ = 0;
};

TEST_F(ModelServiceTest, SignedRunWithPassingGatesIsRegisteredAndStaged) {
  auto v = Run("weights-1");
  EXPECT_EQ(v.version, 1);
  EXPECT_EQ(v.stage, "staging");
  EXPECT_TRUE(v.gates_passed);
  EXPECT_FALSE(v.envelope_sha256.empty());
  EXPECT_NE(v.metrics_json.find("accuracy"), std::string::npos);
  // Provenance: run, pipeline digest, commit, params with secrets redacted.
  auto prov = nlohmann::json::parse(v.provenance_json);
  EXPECT_EQ(prov["run_id"], v.run_id);
  EXPECT_EQ(prov["git_commit"], "abc123");
  EXPECT_EQ(prov["pipeline"]["name"], "toy");
  EXPECT_EQ(v.provenance_json.find("canary-SECRET-123"), std::string::npos);
  EXPECT_NE(v.provenance_json.find("[redacted]"), std::string::npos);
  ASSERT_EQ(prov["parent_artifacts"].size(), 1u);
  EXPECT_EQ(prov["parent_artifacts"][0]["name"], "model.mlp");
  EXPECT_EQ(LastAudit("auto-promote"), "policy: staging on_gates");
  VerifyReport report;
  ASSERT_TRUE(service_->Verify("toy", 1, &report).ok());
  EXPECT_TRUE(report.verified) << report.reason;
  EXPECT_EQ(report.key_id, key_.public_key().key_id);
}

TEST_F(ModelServiceTest, UnsignedVersionNeverReachesStagingOrProduction) {
  auto v = Run("weights-1", true, Sign::kNothing);
  EXPECT_EQ(v.stage, "none");
  EXPECT_TRUE(v.envelope_sha256.empty());
  PromoteResult r;
  Status s = service_->Promote(Req(1, "production"), &r);
  EXPECT_TRUE(s.IsConflict());
  EXPECT_NE(s.message().find("has no signature"), std::string::npos) << s.message();
  EXPECT_NE(LastAudit("promote.refused").find("no signature"), std::string::npos);
}

TEST_F(ModelServiceTest, FailedGatesAreRefused) {
  auto v = Run("weights-1", false);
  EXPECT_EQ(v.stage, "none");
  PromoteResult r;
  Status s = service_->Promote(Req(1, "staging", "operator"), &r);
  EXPECT_TRUE(s.IsConflict());
  EXPECT_NE(s.message().find("gates did not pass"), std::string::npos) << s.message();
}

TEST_F(ModelServiceTest, TamperedArtifactFileIsRefusedNamingIt) {
  auto v = Run("weights-1");
  const std::string stored = artifacts_->PathFor(v.artifact_sha256);
  ::chmod(stored.c_str(), 0644);
  {
    std::ofstream f(stored, std::ios::binary | std::ios::trunc);
    f << "weights-X";  // one byte flipped
  }
  PromoteResult r;
  Status s = service_->Promote(Req(1, "production"), &r);
  EXPECT_TRUE(s.IsConflict());
  EXPECT_NE(s.message().find("file 'model.mlp' was modified"), std::string::npos) << s.message();
  registry::ModelRecord m;
  ASSERT_TRUE(models_->GetModel("toy", &m).ok());
  EXPECT_EQ(m.production_version, 0);
  EXPECT_FALSE(PathExists(ProductionLink(service_->models_root(), "toy")));
}

TEST_F(ModelServiceTest, RevokedKeyIsRefused) {
  Run("weights-1");
  registry::TrustedKeyRecord k;
  ASSERT_TRUE(service_->RevokeKey(key_.public_key().key_id, "root-admin", &k).ok());
  PromoteResult r;
  Status s = service_->Promote(Req(1, "production"), &r);
  EXPECT_TRUE(s.IsConflict());
  EXPECT_NE(s.message().find("signature:"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("revoked"), std::string::npos) << s.message();
  // A revoked key is not trusted again by a restart.
  EXPECT_TRUE(service_->LoadTrust({}).ok());
  ASSERT_TRUE(models_->GetKey(key_.public_key().key_id, &k).ok());
  EXPECT_NE(k.revoked_ms, 0);
}

TEST_F(ModelServiceTest, ModifiedEnvelopeFileIsRefused) {
  auto v = Run("weights-1");
  const std::string stored = artifacts_->PathFor(v.envelope_sha256);
  ::chmod(stored.c_str(), 0644);
  {
    std::ofstream f(stored, std::ios::binary | std::ios::app);
    f << " ";
  }
  PromoteResult r;
  Status s = service_->Promote(Req(1, "production"), &r);
  EXPECT_TRUE(s.IsConflict());
  EXPECT_NE(s.message().find("was modified in the artifact store"), std::string::npos)
      << s.message();
}

TEST_F(ModelServiceTest, EnvelopeByAnUntrustedKeyIsRefused) {
  // Sign with a key the daemon never trusted: registration still records
  // the version, no promotion accepts it.
  signing::PublicKey other_pub;
  ASSERT_TRUE(
      signing::GenerateKeyPair(dir_.Join("other.key"), dir_.Join("other.pub"), &other_pub).ok());
  ASSERT_TRUE(signing::PrivateKey::Load(dir_.Join("other.key"), &key_).ok());
  auto v = Run("weights-1");
  EXPECT_EQ(v.stage, "none");
  VerifyReport report;
  ASSERT_TRUE(service_->Verify("toy", 1, &report).ok());
  EXPECT_FALSE(report.verified);
  EXPECT_NE(report.reason.find("signature:"), std::string::npos) << report.reason;
  PromoteResult r;
  EXPECT_TRUE(service_->Promote(Req(1, "staging", "operator"), &r).IsConflict());
  // Once an admin trusts that key, the same version passes.
  std::string pem;
  ASSERT_TRUE(ReadFile(dir_.Join("other.pub"), &pem).ok());
  registry::TrustedKeyRecord k;
  ASSERT_TRUE(service_->TrustKey(pem, "other", "root-admin", &k).ok());
  ASSERT_TRUE(service_->Verify("toy", 1, &report).ok());
  EXPECT_TRUE(report.verified) << report.reason;
}

TEST_F(ModelServiceTest, ManifestOfAnotherArtifactIsRefused) {
  auto v = Run("weights-1", true, Sign::kOtherArtifact);
  EXPECT_EQ(v.stage, "none");
  PromoteResult r;
  Status s = service_->Promote(Req(1, "staging", "operator"), &r);
  EXPECT_TRUE(s.IsConflict());
  EXPECT_NE(s.message().find("manifest belongs to another artifact"), std::string::npos)
      << s.message();
}

TEST_F(ModelServiceTest, ProductionNeedsAdmin) {
  Run("weights-1");
  PromoteResult r;
  Status s = service_->Promote(Req(1, "production", "operator"), &r);
  EXPECT_TRUE(s.IsPermissionDenied()) << s.ToString();
  EXPECT_TRUE(service_->Promote(Req(1, "production", "viewer"), &r).IsPermissionDenied());
  ASSERT_TRUE(service_->Promote(Req(1, "production", "admin"), &r).ok());
  EXPECT_EQ(r.from_stage, "staging");
  EXPECT_EQ(ProductionContent(), "weights-1");
}

// The role is checked before anything else of the version: a viewer is
// refused as such, whatever the version's state.
TEST_F(ModelServiceTest, PromotionNeedsAtLeastOperator) {
  Run("weights-1", /*gates=*/false);
  PromoteResult r;
  Status s = service_->Promote(Req(1, "staging", "viewer"), &r);
  EXPECT_TRUE(s.IsPermissionDenied()) << s.ToString();
  EXPECT_NE(s.message().find("operator or admin role"), std::string::npos) << s.message();
  s = service_->Promote(Req(1, "staging", "operator"), &r);
  EXPECT_TRUE(s.IsConflict()) << s.ToString();  // the gates, now that the role passed
}

TEST_F(ModelServiceTest, DowngradeIsRefusedAndRollbackIsExplicitAndAudited) {
  Run("weights-1");
  Run("weights-2");
  PromoteResult r;
  ASSERT_TRUE(service_->Promote(Req(1, "production"), &r).ok());
  ASSERT_TRUE(service_->Promote(Req(2, "production"), &r).ok());
  EXPECT_EQ(r.previous_production, 1);
  EXPECT_EQ(ProductionContent(), "weights-2");
  // v1 is archived now; promoting it again is a downgrade.
  Status s = service_->Promote(Req(1, "production"), &r);
  EXPECT_TRUE(s.IsConflict());
  EXPECT_NE(s.message().find("use mlctl models rollback"), std::string::npos) << s.message();
  EXPECT_TRUE(service_->Rollback("toy", 1, "bad v2", "ops", "operator", "rollback-0001", &r)
                  .IsPermissionDenied());
  EXPECT_TRUE(service_->Rollback("toy", 1, "", "root-admin", "admin", "rollback-0001", &r)
                  .IsInvalidArgument());
  ASSERT_TRUE(service_->Rollback("toy", 1, "bad v2", "root-admin", "admin", "rollback-0001", &r).ok());
  EXPECT_EQ(r.previous_production, 2);
  EXPECT_EQ(ProductionContent(), "weights-1");
  EXPECT_EQ(LastAudit("rollback"), "bad v2");
  // Replay of the same rollback request.
  s = service_->Rollback("toy", 2, "again", "root-admin", "admin", "rollback-0001", &r);
  EXPECT_TRUE(s.IsConflict());
  EXPECT_NE(s.message().find("replayed"), std::string::npos) << s.message();
  // A version that never was production is no rollback target.
  Run("weights-3");
  s = service_->Rollback("toy", 3, "x", "root-admin", "admin", "rollback-0002", &r);
  EXPECT_TRUE(s.IsConflict());
  EXPECT_NE(s.message().find("never in production"), std::string::npos) << s.message();
}

TEST_F(ModelServiceTest, ReplayedAndStaleRequestsAreRefused) {
  Run("weights-1");
  Run("weights-2");
  PromoteResult r;
  PromoteRequest first = Req(1, "production");
  ASSERT_TRUE(service_->Promote(first, &r).ok());
  PromoteRequest replay = Req(2, "production");
  replay.request_id = first.request_id;
  Status s = service_->Promote(replay, &r);
  EXPECT_TRUE(s.IsConflict());
  EXPECT_NE(s.message().find("replayed"), std::string::npos) << s.message();
  PromoteRequest stale = Req(2, "production");
  stale.expected_production = 0;  // saw no production, but v1 is
  s = service_->Promote(stale, &r);
  EXPECT_TRUE(s.IsConflict());
  EXPECT_NE(s.message().find("stale request"), std::string::npos) << s.message();
  registry::ModelRecord m;
  ASSERT_TRUE(models_->GetModel("toy", &m).ok());
  EXPECT_EQ(m.production_version, 1);
  EXPECT_NE(LastAudit("promote.refused").find("stale"), std::string::npos);
}

TEST_F(ModelServiceTest, StablePathSwapsAtomicallyAndFilesAreReadOnly) {
  Run("weights-1");
  Run("weights-2");
  PromoteResult r;
  ASSERT_TRUE(service_->Promote(Req(1, "production"), &r).ok());
  const std::string link = ProductionLink(service_->models_root(), "toy");
  char target[256] = {};
  ASSERT_GT(::readlink(link.c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "versions/1");
  ASSERT_TRUE(service_->Promote(Req(2, "production"), &r).ok());
  std::memset(target, 0, sizeof target);
  ASSERT_GT(::readlink(link.c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "versions/2");
  struct stat st {};
  ASSERT_EQ(::stat(JoinPath(link, "model.mlp").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0222, 0u);
  EXPECT_EQ(service_->ProductionModelFile("toy"), JoinPath(link, "model.mlp"));
  // The evaluator gets the production model; the signer its key and provenance.
  std::map<std::string, std::string> env;
  AttemptStartInfo info;
  info.plugin = "evaluator";
  info.model = pipeline_.model;
  service_->AttemptEnv(info, &env);
  EXPECT_EQ(env["MLOPS_PRODUCTION_MODEL"], JoinPath(link, "model.mlp"));
}

TEST_F(ModelServiceTest, WritingTheDeployedFileLeavesTheStoreIntactAndVerifyNamesIt) {
  auto v = Run("weights-1");
  PromoteResult r;
  ASSERT_TRUE(service_->Promote(Req(1, "production"), &r).ok());
  const std::string deployed = JoinPath(ProductionLink(service_->models_root(), "toy"), "model.mlp");
  const std::string stored = artifacts_->PathFor(v.artifact_sha256);
  struct stat d {}, a {};
  ASSERT_EQ(::stat(deployed.c_str(), &d), 0);
  ASSERT_EQ(::stat(stored.c_str(), &a), 0);
  EXPECT_FALSE(d.st_dev == a.st_dev && d.st_ino == a.st_ino) << "deployed file is the stored inode";
  // As a deploy hook or an operator would (also as root, where modes do
  // not stop a write): make it writable and change it.
  ASSERT_EQ(::chmod(deployed.c_str(), 0644), 0);
  {
    std::ofstream f(deployed, std::ios::binary | std::ios::trunc);
    f << "weights-X";
  }
  std::string content;
  ASSERT_TRUE(ReadFile(stored, &content).ok());
  EXPECT_EQ(content, "weights-1");
  EXPECT_EQ(Sha256Hex(content), v.artifact_sha256);
  ASSERT_EQ(::stat(stored.c_str(), &a), 0);
  EXPECT_EQ(a.st_mode & 0222, 0u) << "the stored artifact's mode changed";

  VerifyReport report;
  ASSERT_TRUE(service_->Verify("toy", 1, &report).ok());
  EXPECT_FALSE(report.verified);
  EXPECT_NE(report.reason.find("published file " + JoinPath(VersionDir(service_->models_root(), "toy", 1),
                                                             "model.mlp") + " was modified"),
            std::string::npos) << report.reason;
  EXPECT_NE(report.reason.find(v.artifact_sha256), std::string::npos) << report.reason;
  // A rollback to it republishes it from the (intact) store.
  Run("weights-2");
  ASSERT_TRUE(service_->Promote(Req(2, "production"), &r).ok());
  ASSERT_TRUE(service_->Rollback("toy", 1, "republish", "root-admin", "admin", "republish-1", &r).ok());
  EXPECT_EQ(ProductionContent(), "weights-1");
  ASSERT_TRUE(service_->Verify("toy", 1, &report).ok());
  EXPECT_TRUE(report.verified) << report.reason;
}

TEST_F(ModelServiceTest, SignerAttemptGetsKeyAndPrivateProvenanceWithoutSecrets) {
  auto v = Run("weights-1");
  std::map<std::string, std::string> env;
  AttemptStartInfo info;
  info.run_id = v.run_id;
  info.attempt_id = 77;
  info.plugin = "signer";
  info.model = pipeline_.model;
  info.inputs = {{"model.mlp", v.artifact_sha256}};
  service_->AttemptEnv(info, &env);
  EXPECT_EQ(env["MLOPS_SIGNING_KEY"], key_path_);
  ASSERT_FALSE(env["MLOPS_PROVENANCE"].empty());
  struct stat st {};
  ASSERT_EQ(::stat(env["MLOPS_PROVENANCE"].c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string text;
  ASSERT_TRUE(ReadFile(env["MLOPS_PROVENANCE"], &text).ok());
  EXPECT_EQ(text.find("canary-SECRET-123"), std::string::npos);
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["parent_artifacts"][0]["sha256"], v.artifact_sha256);
  EXPECT_EQ(j["attempts"][0]["params"]["nested"]["password"], "[redacted]");
  EXPECT_EQ(j["attempts"][0]["params"]["lr"], 0.1);
}

TEST_F(ModelServiceTest, ApprovalPolicyNeedsAnotherAdmin) {
  store_.reset();
  models_.reset();
  service_.reset();
  Init("approval");
  Run("weights-1");
  PromoteResult r;
  ASSERT_TRUE(service_->Promote(Req(1, "production", "operator"), &r).ok());
  EXPECT_TRUE(r.approval_pending);
  registry::ModelRecord m;
  ASSERT_TRUE(models_->GetModel("toy", &m).ok());
  EXPECT_EQ(m.production_version, 0);
  // An operator other than the requester: the role, not the person, refuses.
  Status by_operator = service_->Approve("toy", 1, "ops2", "operator", &r);
  EXPECT_TRUE(by_operator.IsPermissionDenied()) << by_operator.ToString();
  EXPECT_NE(by_operator.message().find("admin role"), std::string::npos) << by_operator.message();
  ASSERT_TRUE(models_->GetModel("toy", &m).ok());
  EXPECT_EQ(m.production_version, 0);
  EXPECT_TRUE(service_->Approve("toy", 1, "ops", "admin", &r).IsPermissionDenied());  // the requester
  ASSERT_TRUE(service_->Approve("toy", 1, "root-admin", "admin", &r).ok());
  ASSERT_TRUE(models_->GetModel("toy", &m).ok());
  EXPECT_EQ(m.production_version, 1);
  EXPECT_EQ(LastAudit("approval.granted"), "requested by ops");
}

TEST_F(ModelServiceTest, DeployHookRunsWithModelEnvironmentAndIsAudited) {
  const std::string marker = dir_.Join("deployed.txt");
  const std::string script = dir_.Join("hook.sh");
  ASSERT_TRUE(WriteFileAtomic(script,
                              "#!/bin/sh\necho \"$MLOPS_MODEL $MLOPS_MODEL_VERSION $MLOPS_MODEL_SHA256 "
                              "$(cat \"$MLOPS_MODEL_PATH\") $1\" > " + marker + "\n",
                              0755)
                  .ok());
  store_.reset();
  models_.reset();
  service_.reset();
  Init("manual", {script, "--flag; rm -rf /"});
  auto v = Run("weights-1");
  PromoteResult r;
  ASSERT_TRUE(service_->Promote(Req(1, "production"), &r).ok());
  ASSERT_TRUE(r.deploy.has_value());
  EXPECT_TRUE(r.deploy->ok()) << r.deploy->Describe();
  std::string text;
  ASSERT_TRUE(ReadFile(marker, &text).ok());
  // The argument arrives as one word: no shell ever saw it.
  EXPECT_EQ(text, "toy 1 " + v.artifact_sha256 + " weights-1 --flag; rm -rf /\n");
  EXPECT_EQ(LastAudit("deploy"), "deploy hook exited with status 0");
}

TEST_F(ModelServiceTest, FailingDeployHookKeepsThePromotionAndIsReported) {
  store_.reset();
  models_.reset();
  service_.reset();
  Init("manual", {"/bin/false"});
  Run("weights-1");
  PromoteResult r;
  ASSERT_TRUE(service_->Promote(Req(1, "production"), &r).ok());
  EXPECT_NE(r.warning.find("exited with status 1"), std::string::npos) << r.warning;
  registry::ModelRecord m;
  ASSERT_TRUE(models_->GetModel("toy", &m).ok());
  EXPECT_EQ(m.production_version, 1);
  EXPECT_EQ(LastAudit("deploy.failed"), "deploy hook exited with status 1");
}

// Policy production: on_gates promotes on the scheduler's thread: the hook
// must not hold it. Here the hook waits for a file the test writes only after
// OnRunFinished has returned; a hook run in line would never see it.
TEST_F(ModelServiceTest, AutomaticProductionRunsTheDeployHookInTheBackground) {
  const std::string go = dir_.Join("go"), deployed = dir_.Join("deployed.txt");
  InitWithHookWaitingFor("on_gates", go,
                         "[ -e " + go + " ] && echo \"$MLOPS_MODEL_VERSION\" > " + deployed);
  auto v = Run("weights-1");
  EXPECT_EQ(v.stage, "production");
  EXPECT_FALSE(PathExists(deployed)) << "the hook ran before OnRunFinished returned";
  ASSERT_TRUE(WriteFileAtomic(go, "").ok());
  service_->WaitForDeploys();
  std::string text;
  ASSERT_TRUE(ReadFile(deployed, &text).ok()) << LastAudit("deploy.failed");
  EXPECT_EQ(text, "1\n");
  EXPECT_EQ(LastAudit("deploy"), "deploy hook exited with status 0");
}

// A background hook whose version was replaced in production before it ran
// is skipped (audited): only the newer version is deployed.
TEST_F(ModelServiceTest, BackgroundDeployOfASupersededVersionIsSkipped) {
  const std::string go = dir_.Join("go"), deployed = dir_.Join("deployed.txt");
  InitWithHookWaitingFor("on_gates", go, "echo \"$MLOPS_MODEL_VERSION\" >> " + deployed);
  Run("weights-1");  // its hook waits for `go`
  // Version 1's hook must be running before version 2 replaces it, or it
  // is skipped too.
  for (int i = 0; i < 3000 && !PathExists(go + ".waiting"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(PathExists(go + ".waiting")) << "version 1's hook did not start within 30 s";
  Run("weights-2");  // queued behind it
  Run("weights-3");  // queued too; versions 2 and 3 are both past production now
  ASSERT_TRUE(WriteFileAtomic(go, "").ok());
  service_->WaitForDeploys();
  std::string text;
  ASSERT_TRUE(ReadFile(deployed, &text).ok());
  EXPECT_EQ(text, "1\n3\n") << "version 2 was superseded before its hook ran";
  EXPECT_EQ(LastAudit("deploy.skipped"),
            "version 2 is no longer in production: the hook runs for the newer one");
  EXPECT_EQ(ProductionContent(), "weights-3");
}

TEST(Provenance, RedactsSecretLookingKeysRecursively) {
  auto j = nlohmann::json::parse(
      R"({"Password": "a", "db": {"API_KEY": "b", "list": [{"client_secret": "c", "ok": 1}]},
          "private_key_path": "d", "credentials": "e", "passwd": "f", "apikey": "g", "lr": 2})");
  auto r = RedactSecrets(j);
  const std::string text = r.dump();
  for (const char* secret : {"\"a\"", "\"b\"", "\"c\"", "\"d\"", "\"e\"", "\"f\"", "\"g\""}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in " << text;
  }
  EXPECT_EQ(r["lr"], 2);
  EXPECT_EQ(r["db"]["list"][0]["ok"], 1);
}

// With a canary policy, production on_gates applies to the first version
// only; the next one stays in staging and becomes the canary (CanaryStarter),
// whose folder is published beside production's, after the same checks.
class CanaryStartTest : public ModelServiceTest {
 protected:
  void SetUp() override {
    store_.reset();
    models_.reset();
    service_.reset();
    Init("on_gates, canary: {steps: [20, 100], promote: auto}");
    starter_ = std::make_unique<serving::CanaryStarter>(service_.get(), models_.get(),
                                                        artifacts_.get(), &clock_);
  }
  std::unique_ptr<serving::CanaryStarter> starter_;
};

TEST_F(CanaryStartTest, NextVersionStaysInStagingAndBecomesTheCanary) {
  EXPECT_EQ(Run("weights-1").stage, "production");
  auto v2 = Run("weights-2");
  EXPECT_EQ(v2.stage, "staging");
  starter_->OnVersionRegistered(v2);
  registry::CanaryRecord c;
  ASSERT_TRUE(models_->GetCanary("toy", &c).ok());
  EXPECT_EQ(c.version, 2);
  EXPECT_EQ(c.share_percent, 20);
  EXPECT_NE(c.policy_json.find("\"promote\":\"auto\""), std::string::npos) << c.policy_json;
  const std::string dir = VersionDir(service_->models_root(), "toy", 2);
  std::string text;
  ASSERT_TRUE(ReadFile(JoinPath(dir, "model.mlp"), &text).ok());
  EXPECT_EQ(text, "weights-2");
  EXPECT_TRUE(PathExists(JoinPath(dir, kPublishedSignatureName)));
  EXPECT_EQ(ProductionContent(), "weights-1");
  // A third version waits for the running canary.
  auto v3 = Run("weights-3");
  starter_->OnVersionRegistered(v3);
  ASSERT_TRUE(models_->GetCanary("toy", &c).ok());
  EXPECT_EQ(c.version, 2);
}

TEST_F(CanaryStartTest, ByHandNeedsAdminAndTheChecksOfAPromotion) {
  Run("weights-1");
  Run("weights-2", /*gates=*/true, Sign::kNothing);
  Run("weights-3", /*gates=*/false);
  registry::CanaryRecord c;
  EXPECT_TRUE(starter_->Start("toy", 2, 10, "ops", "operator", &c).IsPermissionDenied());
  Status unsigned_version = starter_->Start("toy", 2, 10, "root", "admin", &c);
  EXPECT_TRUE(unsigned_version.IsConflict());
  EXPECT_NE(unsigned_version.message().find("no signature"), std::string::npos)
      << unsigned_version.message();
  Status failed_gates = starter_->Start("toy", 3, 10, "root", "admin", &c);
  EXPECT_NE(failed_gates.message().find("gates"), std::string::npos) << failed_gates.message();
  EXPECT_TRUE(models_->GetCanary("toy", &c).IsNotFound());
  EXPECT_FALSE(PathExists(VersionDir(service_->models_root(), "toy", 2)));
}

TEST_F(CanaryStartTest, ShareAndStopByHand) {
  Run("weights-1");
  Run("weights-2");
  registry::CanaryRecord c;
  ASSERT_TRUE(starter_->Start("toy", 2, 5, "root", "admin", &c).ok());
  EXPECT_EQ(c.share_percent, 5);
  EXPECT_TRUE(starter_->SetShare("toy", 50, "ops", "operator", &c).IsPermissionDenied());
  ASSERT_TRUE(starter_->SetShare("toy", 50, "root", "admin", &c).ok());
  EXPECT_EQ(c.share_percent, 50);
  EXPECT_TRUE(starter_->Stop("toy", "", "viewer", "viewer").IsPermissionDenied());
  ASSERT_TRUE(starter_->Stop("toy", "looks wrong", "ops", "operator").ok());
  EXPECT_TRUE(models_->GetCanary("toy", &c).IsNotFound());
  EXPECT_EQ(LastAudit("canary.stop"), "looks wrong");
}

}  // namespace
}  // namespace mlops::models
