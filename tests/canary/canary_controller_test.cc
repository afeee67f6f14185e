// CanaryController with a real SQLite registry, a FakeClock and stats.json
// files written by the test in place of mlops-serve: rollback after two
// broken windows (not one), steps, auto promotion and manual `ready`, and no
// decision on too few requests, a missing or stale file, or a restarted
// server.
#include "serving/canary_controller.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../registry/temp_dir.h"
#include "mlops/common/files.h"
#include "serving/canary_policy_json.h"

namespace mlops::serving {
namespace {

using nlohmann::json;

struct Counts {
  int64_t requests = 0, errors = 0, slow = 0, compared = 0, disagreed = 0;
};

class CanaryControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(MakeDirs(dir_.Join("serving")).ok());
    ASSERT_TRUE(registry::OpenSqliteModelRegistry(dir_.Join("registry.db"), &reg_).ok());
    for (int i = 1; i <= 2; ++i) {
      registry::ModelVersionRecord v;
      v.model = "iris";
      v.artifact_sha256 = std::string(64, 'a');
      v.run_id = i;
      ASSERT_TRUE(reg_->RegisterVersion("iris", "mlopsd", 1, &v).ok());
    }
    ASSERT_TRUE(ToProduction(1).ok());
    policy_.steps = {10, 50, 100};
    policy_.window = std::chrono::seconds(10);
    policy_.min_requests = 50;
    policy_.max_shadow_disagreement = 0.1;
  }

  Status ToProduction(int64_t version) {
    registry::TransitionRequest r;
    r.model = "iris";
    r.version = version;
    r.to_stage = "production";
    r.actor = "alice";
    registry::TransitionResult out;
    return reg_->Transition(r, &out);
  }

  void StartCanary(const std::string& promote = "manual") {
    policy_.promote = promote;
    registry::CanaryRecord c;
    c.model = "iris";
    c.version = 2;
    c.share_percent = 10;
    c.policy_json = CanaryPolicyToJson(policy_);
    ASSERT_TRUE(reg_->StartCanary(&c, {"alice", "test", "{}", 3}).ok());
    CanaryControllerOptions o;
    o.state_dir = dir_.path();
    o.promote = [this](const std::string& model, int64_t version, const std::string&) {
      promoted_.push_back(model + ":" + std::to_string(version));
      return promote_status_;
    };
    o.on_rollback = [this](const std::string&) { ++rollbacks_; };
    ctl_ = std::make_unique<CanaryController>(reg_.get(), &clock_, o);
  }

  json Version(const Counts& c) {
    // Latency buckets 1, 10, 100 ms: `slow` requests take 100 ms, the rest 1 ms.
    const int64_t fast = c.requests - c.slow;
    return {{"state", "AVAILABLE"},       {"requests", c.requests},
            {"errors", c.errors},         {"client_errors", 0},
            {"latency_le_ms", {1, 10, 100}}, {"latency_counts", {fast, fast, c.requests, c.requests}},
            {"shadow_compared", c.compared}, {"shadow_disagreed", c.disagreed}};
  }
  // Writes stats.json as mlops-serve would, the counters being cumulative.
  void WriteStats(const Counts& canary, const Counts& production, int64_t pid = 100) {
    json j = {{"format", 1}, {"pid", pid}, {"started_ms", pid * 1000},
              {"written_ms", clock_.WallMillis()}, {"listen", "127.0.0.1:1"}};
    j["models"]["iris"] = {{"production", 1}, {"canary", 2}, {"canary_share_percent", 10},
                           {"versions", {{"1", Version(production)}, {"2", Version(canary)}}}};
    ASSERT_TRUE(WriteFileAtomic(ServeStatsPath(dir_.path()), j.dump()).ok());
  }
  // Moves to the end of the window, refreshes the file and ticks.
  void EndWindow(const Counts& canary, const Counts& production, int64_t pid = 100) {
    clock_.Advance(std::chrono::seconds(10));
    WriteStats(canary, production, pid);
    ctl_->Tick();
  }
  registry::CanaryRecord Canary() {
    registry::CanaryRecord c;
    EXPECT_TRUE(reg_->GetCanary("iris", &c).ok());
    return c;
  }
  bool HasCanary() {
    registry::CanaryRecord c;
    return reg_->GetCanary("iris", &c).ok();
  }
  registry::AuditRecord LastAudit() {
    std::vector<registry::AuditRecord> a;
    EXPECT_TRUE(reg_->ListAudit({}, &a).ok());
    return a.at(0);
  }
  std::string Note() { return ctl_->StatusJson()["iris"]["note"].get<std::string>(); }
  void Begin() {
    WriteStats({}, {});
    ctl_->Tick();  // the first window starts, with these counters as its base
  }

  testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<registry::ModelRegistry> reg_;
  pipeline::CanaryPolicy policy_;
  std::unique_ptr<CanaryController> ctl_;
  std::vector<std::string> promoted_;
  Status promote_status_;
  int rollbacks_ = 0;
};

TEST_F(CanaryControllerTest, DisagreeingCanaryRollsBackAfterTwoWindowsNotOne) {
  StartCanary();
  Begin();
  EndWindow({100, 0, 0, 100, 40}, {900});
  EXPECT_TRUE(HasCanary());  // one broken window is not enough
  EXPECT_EQ(Canary().share_percent, 10);
  EXPECT_EQ(rollbacks_, 0);
  EndWindow({200, 0, 0, 200, 80}, {1800});
  EXPECT_FALSE(HasCanary());
  EXPECT_EQ(rollbacks_, 1);
  registry::AuditRecord a = LastAudit();
  EXPECT_EQ(a.action, "canary.rollback");
  EXPECT_EQ(a.version, 2);
  EXPECT_NE(a.reason.find("shadow disagreement 40.00%"), std::string::npos) << a.reason;
  json detail = json::parse(a.detail_json);
  EXPECT_EQ(detail["canary"]["requests"], 100);  // the window's figures, not the totals
  EXPECT_EQ(detail["canary"]["shadow_disagreed"], 40);
  registry::ModelVersionRecord v;
  ASSERT_TRUE(reg_->GetVersion("iris", 2, &v).ok());
  EXPECT_TRUE(v.aliases.empty());
}

TEST_F(CanaryControllerTest, ErrorRateAndLatencyLimitsBreakToo) {
  StartCanary();
  Begin();
  EndWindow({100, 10}, {900, 0});  // 10% errors against 0%
  EndWindow({200, 10, 100}, {1800, 0});  // no errors, but all slow: 100ms against 1ms
  EXPECT_FALSE(HasCanary());
  EXPECT_NE(LastAudit().reason.find("p99 latency 100ms"), std::string::npos) << LastAudit().reason;
}

TEST_F(CanaryControllerTest, AGoodWindowBetweenTwoBadOnesResetsTheStreak) {
  StartCanary();
  Begin();
  EndWindow({100, 20}, {900});
  EndWindow({200, 20}, {1800});  // good: moves to 50%
  EXPECT_EQ(Canary().share_percent, 50);
  EndWindow({300, 40}, {2700});
  EXPECT_TRUE(HasCanary());
}

TEST_F(CanaryControllerTest, HoldingCanaryStepsUpThenPromotesWithAuto) {
  StartCanary("auto");
  Begin();
  EndWindow({100, 0, 0, 100, 0}, {900});
  EXPECT_EQ(Canary().share_percent, 50);
  EXPECT_EQ(LastAudit().action, "canary.share");
  EndWindow({600, 0, 0, 600, 1}, {1400});
  EXPECT_EQ(Canary().share_percent, 100);
  EXPECT_TRUE(promoted_.empty());
  EndWindow({1600, 0, 0, 1600, 2}, {1400});  // production gets nothing at 100%
  EXPECT_EQ(promoted_, std::vector<std::string>{"iris:2"});
  EXPECT_FALSE(HasCanary());
  EXPECT_EQ(LastAudit().action, "canary.promote");
}

TEST_F(CanaryControllerTest, ManualPolicyMarksReadyAndARefusedPromotionToo) {
  StartCanary("manual");
  Begin();
  EndWindow({100}, {900});
  EXPECT_EQ(Canary().state, "running");
  EndWindow({200}, {1800});
  EndWindow({300}, {2700});
  EXPECT_EQ(Canary().state, "ready");
  EXPECT_EQ(LastAudit().action, "canary.ready");
  EXPECT_TRUE(promoted_.empty());
}

TEST_F(CanaryControllerTest, RefusedAutoPromotionLeavesItReady) {
  promote_status_ = Status::Conflict("promotion refused: signature by a revoked key");
  StartCanary("auto");
  Begin();
  EndWindow({100}, {900});
  EndWindow({200}, {1800});
  EndWindow({300}, {2700});
  EXPECT_EQ(promoted_.size(), 1u);
  EXPECT_EQ(Canary().state, "ready");
  EXPECT_NE(LastAudit().reason.find("revoked key"), std::string::npos);
}

TEST_F(CanaryControllerTest, TooFewRequestsDecideNothing) {
  StartCanary();
  Begin();
  EndWindow({49, 49}, {900});
  EXPECT_NE(Note().find("too few requests: the canary answered 49"), std::string::npos) << Note();
  EndWindow({98, 98}, {1800});
  EXPECT_TRUE(HasCanary());
  EXPECT_EQ(Canary().share_percent, 10);
}

TEST_F(CanaryControllerTest, MissingOrStaleStatsDecideNothingAndSaySo) {
  StartCanary();
  ctl_->Tick();
  clock_.Advance(std::chrono::seconds(10));
  ctl_->Tick();
  EXPECT_NE(Note().find("does not exist"), std::string::npos) << Note();
  WriteStats({}, {});
  clock_.Advance(std::chrono::seconds(30));  // the file is not refreshed: stale
  ctl_->Tick();
  EXPECT_NE(Note().find("last written 30s ago"), std::string::npos) << Note();
  EXPECT_TRUE(HasCanary());
  EXPECT_EQ(Canary().share_percent, 10);
}

TEST_F(CanaryControllerTest, ServeRestartStartsTheWindowAgain) {
  StartCanary();
  Begin();
  EndWindow({100, 50}, {900}, /*pid=*/101);  // counters restarted: not judged
  EXPECT_NE(Note().find("restarted"), std::string::npos) << Note();
  EndWindow({200, 50}, {1800}, 101);  // judged from the new base: 0 errors of 100
  EXPECT_EQ(Canary().share_percent, 50);
}

TEST_F(CanaryControllerTest, CanaryPromotedByHandIsEnded) {
  StartCanary();
  ASSERT_TRUE(ToProduction(2).ok());
  ctl_->Tick();
  EXPECT_FALSE(HasCanary());
  EXPECT_EQ(LastAudit().action, "canary.stop");
}

}  // namespace
}  // namespace mlops::serving
