// ModelRegistry against a real SQLite file: version numbering, the
// one-production invariant (also under concurrent promoters on separate
// connections), compare-and-swap, replays, approvals, aliases, keys and the
// append-only audit log.
#include "mlops/registry/model_registry.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <thread>

#include "../registry/temp_dir.h"

namespace mlops::registry {
namespace {

class ModelRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.Join("registry.db");
    ASSERT_TRUE(OpenSqliteModelRegistry(path_, &reg_).ok());
  }
  int64_t Register(const std::string& model = "iris", const std::string& sha = std::string(64, 'a')) {
    ModelVersionRecord v;
    v.model = model;
    v.artifact_sha256 = sha;
    v.envelope_sha256 = std::string(64, 'e');
    v.run_id = ++run_;
    v.gates_passed = true;
    EXPECT_TRUE(reg_->RegisterVersion("iris-mlp", "daemon", 1000 + run_, &v).ok());
    return v.version;
  }
  Status Promote(int64_t version, const std::string& to, std::optional<int64_t> expected,
                 const std::string& request_id = "") {
    TransitionRequest r;
    r.model = "iris";
    r.version = version;
    r.to_stage = to;
    r.actor = "alice";
    r.reason = "test";
    r.expected_production = expected;
    r.request_id = request_id;
    r.now_ms = 5000;
    TransitionResult out;
    return reg_->Transition(r, &out);
  }
  int CountProduction() {
    std::vector<ModelVersionRecord> vs;
    EXPECT_TRUE(reg_->ListVersions("iris", &vs).ok());
    int n = 0;
    for (const auto& v : vs) n += v.stage == "production";
    return n;
  }

  testing::TempDir dir_;
  std::string path_;
  std::unique_ptr<ModelRegistry> reg_;
  int64_t run_ = 0;
};

TEST_F(ModelRegistryTest, VersionsIncreasePerModelAndStartInNone) {
  EXPECT_EQ(Register(), 1);
  EXPECT_EQ(Register(), 2);
  EXPECT_EQ(Register("other"), 1);
  ModelVersionRecord v;
  ASSERT_TRUE(reg_->GetVersion("iris", 2, &v).ok());
  EXPECT_EQ(v.stage, "none");
  EXPECT_EQ(v.run_id, 2);
  EXPECT_TRUE(reg_->GetVersion("iris", 3, &v).IsNotFound());
  ModelRecord m;
  ASSERT_TRUE(reg_->GetModel("iris", &m).ok());
  EXPECT_EQ(m.latest_version, 2);
  EXPECT_EQ(m.production_version, 0);
  ASSERT_TRUE(reg_->FindVersionByRun(2, &v).ok());
  EXPECT_EQ(v.version, 2);
}

TEST_F(ModelRegistryTest, AnotherPipelineCannotClaimAModel) {
  Register();
  ModelVersionRecord v;
  v.model = "iris";
  v.artifact_sha256 = std::string(64, 'b');
  Status s = reg_->RegisterVersion("evil", "daemon", 1, &v);
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
}

TEST_F(ModelRegistryTest, ProductionPromotionArchivesThePreviousOne) {
  Register();
  Register();
  ASSERT_TRUE(Promote(1, "production", 0).ok());
  ASSERT_TRUE(Promote(2, "production", 1).ok());
  ModelVersionRecord v1, v2;
  ASSERT_TRUE(reg_->GetVersion("iris", 1, &v1).ok());
  ASSERT_TRUE(reg_->GetVersion("iris", 2, &v2).ok());
  EXPECT_EQ(v1.stage, "archived");
  EXPECT_EQ(v2.stage, "production");
  bool was = false;
  ASSERT_TRUE(reg_->WasProduction("iris", 1, &was).ok());
  EXPECT_TRUE(was);
  std::vector<AuditRecord> audit;
  ASSERT_TRUE(reg_->ListAudit({"iris", 100, 0}, &audit).ok());
  ASSERT_GE(audit.size(), 2u);
  EXPECT_EQ(audit[0].action, "promote");
  EXPECT_EQ(audit[0].version, 2);
  EXPECT_EQ(audit[0].from_stage, "none");
  EXPECT_EQ(audit[0].actor, "alice");
  EXPECT_EQ(audit[1].action, "demote");
  EXPECT_EQ(audit[1].version, 1);
}

TEST_F(ModelRegistryTest, StaleExpectedProductionIsRefused) {
  Register();
  Register();
  ASSERT_TRUE(Promote(1, "production", 0).ok());
  Status s = Promote(2, "production", 0);
  EXPECT_TRUE(s.IsConflict());
  EXPECT_NE(s.message().find("stale request"), std::string::npos) << s.message();
  EXPECT_EQ(CountProduction(), 1);
  ModelRecord m;
  ASSERT_TRUE(reg_->GetModel("iris", &m).ok());
  EXPECT_EQ(m.production_version, 1);
}

TEST_F(ModelRegistryTest, ReplayedRequestIdIsRefused) {
  Register();
  Register();
  ASSERT_TRUE(Promote(1, "staging", std::nullopt, "req-00000001").ok());
  Status s = Promote(2, "staging", std::nullopt, "req-00000001");
  EXPECT_TRUE(s.IsConflict());
  EXPECT_NE(s.message().find("replayed"), std::string::npos) << s.message();
  ModelVersionRecord v;
  ASSERT_TRUE(reg_->GetVersion("iris", 2, &v).ok());
  EXPECT_EQ(v.stage, "none");
  EXPECT_TRUE(Promote(2, "staging", std::nullopt, "bad id!").IsInvalidArgument());
}

TEST_F(ModelRegistryTest, SameStageTwiceIsAConflict) {
  Register();
  ASSERT_TRUE(Promote(1, "staging", std::nullopt).ok());
  EXPECT_TRUE(Promote(1, "staging", std::nullopt).IsConflict());
  EXPECT_TRUE(Promote(1, "bogus", std::nullopt).IsInvalidArgument());
}

TEST_F(ModelRegistryTest, ProductionIsNeverLeftEmpty) {
  Register();
  ASSERT_TRUE(Promote(1, "production", 0).ok());
  for (const char* to : {"staging", "archived"}) {
    Status s = Promote(1, to, std::nullopt);
    EXPECT_TRUE(s.IsConflict()) << to;
    EXPECT_NE(s.message().find("leaves production only when"), std::string::npos) << s.message();
  }
  EXPECT_EQ(CountProduction(), 1);
}

TEST_F(ModelRegistryTest, TheIndexRefusesASecondProductionRowEvenInRawSql) {
  Register();
  Register();
  ASSERT_TRUE(Promote(1, "production", 0).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  int rc = sqlite3_exec(db, "UPDATE model_versions SET stage = 'production' WHERE version = 2",
                        nullptr, nullptr, nullptr);
  EXPECT_EQ(rc, SQLITE_CONSTRAINT);
  sqlite3_close(db);
  EXPECT_EQ(CountProduction(), 1);
}

TEST_F(ModelRegistryTest, AuditLogIsAppendOnly) {
  Register();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_NE(sqlite3_exec(db, "UPDATE audit_log SET actor = 'mallory'", nullptr, nullptr, &err),
            SQLITE_OK);
  ASSERT_NE(err, nullptr);
  EXPECT_NE(std::string(err).find("append-only"), std::string::npos) << err;
  sqlite3_free(err);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM audit_log", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  std::vector<AuditRecord> audit;
  ASSERT_TRUE(reg_->ListAudit({}, &audit).ok());
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].actor, "daemon");
  EXPECT_EQ(audit[0].action, "version.registered");
}

TEST_F(ModelRegistryTest, ConcurrentPromotersLeaveExactlyOneProduction) {
  constexpr int kVersions = 8;
  for (int i = 0; i < kVersions; ++i) Register();
  // Each thread has its own connection (as separate processes would); all
  // race to promote "their" version over production version 0 or whatever
  // they last saw.
  std::atomic<int> wins{0}, stale{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kVersions; ++t) {
    threads.emplace_back([&, t] {
      std::unique_ptr<ModelRegistry> mine;
      ASSERT_TRUE(OpenSqliteModelRegistry(path_, &mine).ok());
      for (int round = 0; round < 5; ++round) {
        ModelRecord m;
        ASSERT_TRUE(mine->GetModel("iris", &m).ok());
        if (m.production_version == t + 1) continue;
        TransitionRequest r;
        r.model = "iris";
        r.version = t + 1;
        r.to_stage = "production";
        r.actor = "t" + std::to_string(t);
        r.expected_production = m.production_version;
        r.request_id = "request-" + std::to_string(t) + "-" + std::to_string(round);
        r.now_ms = round;
        TransitionResult out;
        Status s = mine->Transition(r, &out);
        if (s.ok()) ++wins;
        else if (s.IsConflict()) ++stale;
        else ADD_FAILURE() << s.ToString();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_GE(wins.load(), 1);
  EXPECT_EQ(CountProduction(), 1);
  // Every successful promotion archived exactly its predecessor: the log
  // holds one "promote" per win and one "demote" per win but the first.
  std::vector<AuditRecord> audit;
  ASSERT_TRUE(reg_->ListAudit({"iris", 1000, 0}, &audit).ok());
  int promotes = 0, demotes = 0;
  for (const auto& a : audit) {
    promotes += a.action == "promote";
    demotes += a.action == "demote";
  }
  EXPECT_EQ(promotes, wins.load());
  EXPECT_EQ(demotes, wins.load() - 1);
}

TEST_F(ModelRegistryTest, ApprovalNeedsAnotherPersonAndIsUsedOnce) {
  Register();
  ApprovalRecord a;
  ASSERT_TRUE(reg_->RequestApproval("iris", 1, "production", "bob", 1, &a).ok());
  EXPECT_EQ(a.state, "pending");
  EXPECT_TRUE(reg_->RequestApproval("iris", 1, "production", "bob", 2, &a).IsConflict());
  EXPECT_TRUE(reg_->Approve("iris", 1, "production", "bob", 3, &a).IsPermissionDenied());
  TransitionRequest r;
  r.model = "iris";
  r.version = 1;
  r.to_stage = "production";
  r.actor = "bob";
  r.consume_approval = true;
  TransitionResult out;
  EXPECT_TRUE(reg_->Transition(r, &out).IsPermissionDenied());
  ASSERT_TRUE(reg_->Approve("iris", 1, "production", "carol", 4, &a).ok());
  EXPECT_EQ(a.approved_by, "carol");
  ASSERT_TRUE(reg_->Transition(r, &out).ok());
  ASSERT_TRUE(reg_->GetApproval("iris", 1, "production", &a).ok());
  EXPECT_EQ(a.state, "used");
}

TEST_F(ModelRegistryTest, AliasPointsAtOneVersionAndMoves) {
  Register();
  Register();
  ASSERT_TRUE(reg_->SetAlias("iris", "champion", 1, "alice", 1).ok());
  ASSERT_TRUE(reg_->SetAlias("iris", "champion", 2, "alice", 2).ok());
  ModelVersionRecord v1, v2;
  ASSERT_TRUE(reg_->GetVersion("iris", 1, &v1).ok());
  ASSERT_TRUE(reg_->GetVersion("iris", 2, &v2).ok());
  EXPECT_TRUE(v1.aliases.empty());
  ASSERT_EQ(v2.aliases.size(), 1u);
  EXPECT_EQ(v2.aliases[0], "champion");
  EXPECT_TRUE(reg_->SetAlias("iris", "Bad/Alias", 1, "alice", 3).IsInvalidArgument());
  EXPECT_TRUE(reg_->SetAlias("iris", "x", 9, "alice", 3).IsNotFound());
  ASSERT_TRUE(reg_->DeleteAlias("iris", "champion", "alice", 4).ok());
  EXPECT_TRUE(reg_->DeleteAlias("iris", "champion", "alice", 5).IsNotFound());
}

TEST_F(ModelRegistryTest, RevokedKeysStayRevoked) {
  TrustedKeyRecord k{std::string(64, 'c'), "PEM", "ci", 1, "admin", 0, ""};
  bool added = false;
  ASSERT_TRUE(reg_->TrustKey(k, &added).ok());
  EXPECT_TRUE(added);
  ASSERT_TRUE(reg_->TrustKey(k, &added).ok());
  EXPECT_FALSE(added);
  TrustedKeyRecord out;
  ASSERT_TRUE(reg_->RevokeKey(k.key_id, "admin", 2, &out).ok());
  EXPECT_EQ(out.revoked_ms, 2);
  EXPECT_TRUE(reg_->RevokeKey(k.key_id, "admin", 3, &out).IsConflict());
  EXPECT_TRUE(reg_->TrustKey(k, &added).IsConflict());
  EXPECT_TRUE(reg_->RevokeKey(std::string(64, 'd'), "admin", 3, &out).IsNotFound());
  k.key_id = "../../etc";
  EXPECT_TRUE(reg_->TrustKey(k, &added).IsInvalidArgument());
}

TEST_F(ModelRegistryTest, AuditPagesAndFiltersWithInjectionStringsAsData) {
  Register();
  Register("other");
  std::vector<AuditRecord> audit;
  ASSERT_TRUE(reg_->ListAudit({"iris' OR '1'='1", 100, 0}, &audit).ok());
  EXPECT_TRUE(audit.empty());
  ASSERT_TRUE(reg_->ListAudit({"", 1, 0}, &audit).ok());
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].model, "other");
  ASSERT_TRUE(reg_->ListAudit({"", 10, audit[0].id}, &audit).ok());
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].model, "iris");
  EXPECT_TRUE(reg_->ListAudit({"", 0, 0}, &audit).IsInvalidArgument());
}

TEST(ModelNames, ValidationRefusesTraversalAndInjection) {
  for (const char* bad : {"", "../x", "a/b", "..%2f", "a b", "x'; DROP TABLE models;--", "\\..\\",
                          "/etc/passwd", "file://x", "a#b", "a?b", ".hidden"}) {
    EXPECT_TRUE(CheckModelName(bad).IsInvalidArgument()) << bad;
    EXPECT_TRUE(CheckAliasName(bad).IsInvalidArgument()) << bad;
  }
  EXPECT_TRUE(CheckModelName(std::string("a\0b", 3)).IsInvalidArgument());
  EXPECT_TRUE(CheckModelName("iris-mlp_2.1").ok());
  EXPECT_TRUE(CheckAliasName("champion-2").ok());
  EXPECT_TRUE(CheckAliasName("Champion").IsInvalidArgument());
}

}  // namespace
}  // namespace mlops::registry
