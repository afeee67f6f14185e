// The registry's canaries against a real SQLite file: the `canary` alias and
// the row change together, each change is audited with its figures, stale
// writers are refused, and the alias cannot be moved around the canary.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "../registry/temp_dir.h"
#include "mlops/registry/model_registry.h"

namespace mlops::registry {
namespace {

class CanaryRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(OpenSqliteModelRegistry(dir_.Join("registry.db"), &reg_).ok());
    for (int i = 1; i <= 3; ++i) {
      ModelVersionRecord v;
      v.model = "iris";
      v.artifact_sha256 = std::string(64, 'a');
      v.run_id = i;
      ASSERT_TRUE(reg_->RegisterVersion("iris", "daemon", 100, &v).ok());
    }
    TransitionRequest r;
    r.model = "iris";
    r.version = 1;
    r.to_stage = "production";
    r.actor = "alice";
    r.now_ms = 200;
    TransitionResult out;
    ASSERT_TRUE(reg_->Transition(r, &out).ok());
  }
  Status Start(int64_t version, int share = 10) {
    CanaryRecord c;
    c.model = "iris";
    c.version = version;
    c.share_percent = share;
    c.policy_json = R"({"steps":[10,50,100]})";
    return reg_->StartCanary(&c, Change("start"));
  }
  static CanaryChange Change(const std::string& reason, const std::string& detail = "{}") {
    CanaryChange ch;
    ch.actor = "mlopsd";
    ch.reason = reason;
    ch.detail_json = detail;
    ch.now_ms = 1000;
    return ch;
  }
  std::vector<std::string> Aliases(int64_t version) {
    ModelVersionRecord v;
    EXPECT_TRUE(reg_->GetVersion("iris", version, &v).ok());
    return v.aliases;
  }
  AuditRecord LastAudit() {
    std::vector<AuditRecord> audit;
    EXPECT_TRUE(reg_->ListAudit({}, &audit).ok());
    return audit.empty() ? AuditRecord{} : audit[0];
  }

  testing::TempDir dir_;
  std::unique_ptr<ModelRegistry> reg_;
};

TEST_F(CanaryRegistryTest, StartSetsAliasAndRowTogetherAudited) {
  ASSERT_TRUE(Start(2).ok());
  CanaryRecord c;
  ASSERT_TRUE(reg_->GetCanary("iris", &c).ok());
  EXPECT_EQ(c.version, 2);
  EXPECT_EQ(c.share_percent, 10);
  EXPECT_EQ(c.state, "running");
  EXPECT_EQ(c.started_ms, 1000);
  EXPECT_EQ(c.policy_json, R"({"steps":[10,50,100]})");
  EXPECT_EQ(Aliases(2), std::vector<std::string>{"canary"});
  EXPECT_EQ(LastAudit().action, "canary.start");
  EXPECT_EQ(LastAudit().version, 2);
  std::vector<CanaryRecord> all;
  ASSERT_TRUE(reg_->ListCanaries(&all).ok());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].model, "iris");
}

TEST_F(CanaryRegistryTest, StartRefusesProductionSecondCanaryBadShareAndUnknowns) {
  EXPECT_TRUE(Start(1).IsConflict());  // production
  EXPECT_TRUE(Start(9).IsNotFound());
  EXPECT_TRUE(Start(2, 101).IsInvalidArgument());
  EXPECT_TRUE(Start(2, -1).IsInvalidArgument());
  ASSERT_TRUE(Start(2).ok());
  Status second = Start(3);
  EXPECT_TRUE(second.IsConflict());
  EXPECT_NE(second.message().find("version 2"), std::string::npos) << second.message();
  CanaryRecord c;
  c.model = "nope";
  c.version = 1;
  EXPECT_TRUE(reg_->StartCanary(&c, Change("x")).IsNotFound());
  EXPECT_TRUE(reg_->GetCanary("nope", &c).IsNotFound());
  EXPECT_TRUE(Aliases(3).empty());  // the refused start left nothing behind
}

TEST_F(CanaryRegistryTest, UpdateChangesShareAndStateAuditingEach) {
  ASSERT_TRUE(Start(2).ok());
  ASSERT_TRUE(reg_->UpdateCanary("iris", 2, 50, "running", Change("held", R"({"w":1})")).ok());
  AuditRecord a = LastAudit();
  EXPECT_EQ(a.action, "canary.share");
  EXPECT_EQ(a.detail_json, R"({"w":1})");
  ASSERT_TRUE(reg_->UpdateCanary("iris", 2, 50, "ready", Change("held at last step")).ok());
  EXPECT_EQ(LastAudit().action, "canary.ready");
  CanaryRecord c;
  ASSERT_TRUE(reg_->GetCanary("iris", &c).ok());
  EXPECT_EQ(c.share_percent, 50);
  EXPECT_EQ(c.state, "ready");
  EXPECT_TRUE(reg_->UpdateCanary("iris", 3, 50, "running", Change("x")).IsConflict());
  EXPECT_TRUE(reg_->UpdateCanary("iris", 2, 150, "running", Change("x")).IsInvalidArgument());
  EXPECT_TRUE(reg_->UpdateCanary("iris", 2, 50, "done", Change("x")).IsInvalidArgument());
}

TEST_F(CanaryRegistryTest, EndRemovesAliasAndRowWithTheGivenAction) {
  ASSERT_TRUE(Start(2).ok());
  EXPECT_TRUE(reg_->EndCanary("iris", 2, "canary.explode", Change("x")).IsInvalidArgument());
  EXPECT_TRUE(reg_->EndCanary("iris", 3, "canary.rollback", Change("x")).IsConflict());
  const std::string figures = R"({"canary":{"error_rate":0.5},"production":{"error_rate":0}})";
  ASSERT_TRUE(reg_->EndCanary("iris", 2, "canary.rollback", Change("error rate", figures)).ok());
  AuditRecord a = LastAudit();
  EXPECT_EQ(a.action, "canary.rollback");
  EXPECT_EQ(a.reason, "error rate");
  EXPECT_EQ(a.detail_json, figures);
  EXPECT_TRUE(Aliases(2).empty());
  CanaryRecord c;
  EXPECT_TRUE(reg_->GetCanary("iris", &c).IsNotFound());
  EXPECT_TRUE(reg_->EndCanary("iris", 2, "canary.stop", Change("x")).IsNotFound());
  ASSERT_TRUE(Start(3).ok());  // a new canary may start once the old one ended
}

TEST_F(CanaryRegistryTest, CanaryAliasMovesOnlyWithTheCanary) {
  EXPECT_TRUE(reg_->SetAlias("iris", "canary", 2, "alice", 1).IsInvalidArgument());
  ASSERT_TRUE(Start(2).ok());
  EXPECT_TRUE(reg_->DeleteAlias("iris", "canary", "alice", 1).IsInvalidArgument());
  EXPECT_EQ(Aliases(2), std::vector<std::string>{"canary"});
  ASSERT_TRUE(reg_->SetAlias("iris", "champion", 2, "alice", 1).ok());
  EXPECT_EQ(Aliases(2), (std::vector<std::string>{"canary", "champion"}));
}

TEST_F(CanaryRegistryTest, TheTableRefusesAShareOutOfRangeEvenInRawSql) {
  ASSERT_TRUE(Start(2).ok());
  reg_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.Join("registry.db").c_str(), &db), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "UPDATE canaries SET share_percent = 120", nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "UPDATE canaries SET state = 'done'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
}

}  // namespace
}  // namespace mlops::registry
