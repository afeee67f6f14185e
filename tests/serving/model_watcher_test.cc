// The watcher against a real registry file: a production without its link
// yet waits (LOADING), a version whose folder does not verify is FAILED with
// the reason, canaries come from the source, and a set is swapped only when
// something changed (polls that find the same state swap nothing).
#include <gtest/gtest.h>
#include <unistd.h>

#include "../registry/temp_dir.h"
#include "serving/server/model_watcher.h"

namespace mlops::serving {
namespace {

class FakeCanaries final : public CanarySource {
 public:
  Status List(std::vector<CanaryAssignment>* out) override {
    *out = list;
    return Status::OK();
  }
  std::vector<CanaryAssignment> list;
};

class ModelWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry::OpenSqliteModelRegistry(dir_.Join("registry.db"), &writer_).ok());
    for (int i = 0; i < 2; ++i) {
      registry::ModelVersionRecord v;
      v.model = "m";
      v.artifact_sha256 = std::string(64, 'a' + i);
      v.envelope_sha256 = std::string(64, 'c');
      v.gates_passed = true;
      ASSERT_TRUE(writer_->RegisterVersion("m", "t", 1, &v).ok());
    }
    registry::TransitionRequest t;
    t.model = "m";
    t.version = 1;
    t.to_stage = "production";
    t.actor = "t";
    t.expected_production = 0;
    t.now_ms = 2;
    registry::TransitionResult out;
    ASSERT_TRUE(writer_->Transition(t, &out).ok());
    ASSERT_TRUE(registry::OpenSqliteModelRegistryReadOnly(dir_.Join("registry.db"), &reader_).ok());
  }

  testing::TempDir dir_;
  std::unique_ptr<registry::ModelRegistry> writer_, reader_;
  FakeCanaries canaries_;
};

TEST_F(ModelWatcherTest, ProductionWaitsForItsLinkThenFailsVerificationWithTheReason) {
  ModelWatcher w(dir_.path(), reader_.get(), &canaries_);
  int swaps = 0;
  w.OnSwap([&](const ModelSet&) { ++swaps; });
  EXPECT_FALSE(w.Current()->complete);
  ASSERT_TRUE(w.Poll().ok());
  ASSERT_TRUE(w.Poll().ok());
  EXPECT_EQ(swaps, 1);
  auto set = w.Current();
  ASSERT_TRUE(set->complete);
  const ServedModel& m = set->models.at("m");
  EXPECT_EQ(m.production, 1);
  EXPECT_EQ(m.versions.at(1)->state, kStateLoading);
  EXPECT_FALSE(m.Ready());

  // The link appears, to a folder without its signature: FAILED, said why,
  // and not served.
  ASSERT_EQ(::system(("mkdir -p " + dir_.Join("models/m/versions/1")).c_str()), 0);
  ASSERT_EQ(::symlink("versions/1", dir_.Join("models/m/production").c_str()), 0);
  ASSERT_TRUE(w.Poll().ok());
  EXPECT_EQ(swaps, 2);
  const auto& failed = w.Current()->models.at("m").versions.at(1);
  EXPECT_EQ(failed->state, kStateFailed);
  EXPECT_NE(failed->reason.find("model.sig.json"), std::string::npos) << failed->reason;
  EXPECT_EQ(w.Current()->models.at("m").Route(""), nullptr);
  ASSERT_TRUE(w.Poll().ok());
  EXPECT_EQ(swaps, 2);  // the same failure again is no change

  // A canary from the source joins the set with its share.
  canaries_.list = {{"m", 2, 25}};
  ASSERT_TRUE(w.Poll().ok());
  EXPECT_EQ(swaps, 3);
  const ServedModel& with_canary = w.Current()->models.at("m");
  EXPECT_EQ(with_canary.canary, 2);
  EXPECT_EQ(with_canary.canary_share_percent, 25);
  EXPECT_EQ(with_canary.versions.at(2)->state, kStateFailed);
}

}  // namespace
}  // namespace mlops::serving
