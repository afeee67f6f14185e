// TunerConfig: fixed keys and searched values meet in one ParseMlpParams
// call per trial; targets against the task.
#include "tuner/tuner_config.h"

#include <gtest/gtest.h>

namespace mlops::ml {
namespace {

nlohmann::json With() {
  return {{"data", {{"path", "/data.csv"}}},
          {"layers", 2},
          {"epochs", 5},
          {"threads", 8},
          {"space", {{"hidden", "choice(16, 32)"}, {"lr", "loguniform(1e-3, 1e-1)"}}}};
}

TEST(TunerConfigTest, AFixedLayerCountRepeatsTheSearchedWidth) {
  TunerConfig c;
  ASSERT_TRUE(ParseTunerConfig(With(), "/work", &c).ok());
  EXPECT_EQ(c.fixed, nlohmann::json({{"epochs", 5}, {"layers", 2}}));
  MlpParams p;
  ASSERT_TRUE(TrialParams(c, {{"hidden", 32}, {"lr", 0.01}}, &p).ok());
  EXPECT_EQ(p.hidden, (std::vector<int>{32, 32}));
  EXPECT_EQ(p.lr, 0.01);
  EXPECT_EQ(p.epochs, 5);
  EXPECT_EQ(p.threads, 1);
}

TEST(TunerConfigTest, TargetFollowsTheTask) {
  TunerConfig c;
  ASSERT_TRUE(ParseTunerConfig(With(), "/work", &c).ok());
  ASSERT_TRUE(ResolveTarget(Task::kRegression, &c).ok());
  EXPECT_EQ(c.target, TuneTarget::kValR2);
  EXPECT_EQ(c.search.direction, Direction::kMaximize);
  nlohmann::json with = With();
  with["target"] = "val_loss";
  ASSERT_TRUE(ParseTunerConfig(with, "/work", &c).ok());
  ASSERT_TRUE(ResolveTarget(Task::kClassification, &c).ok());
  EXPECT_EQ(c.search.direction, Direction::kMinimize);
  with["target"] = "val_accuracy";
  ASSERT_TRUE(ParseTunerConfig(with, "/work", &c).ok());
  EXPECT_TRUE(ResolveTarget(Task::kRegression, &c).IsInvalidArgument());
}

TEST(TunerConfigTest, GridValuesAreCheckedBeforeAnyTraining) {
  nlohmann::json with = With();
  with["strategy"] = "grid";
  with["space"] = {{"dropout", "uniform(0, 1)"}};  // the grid's last value is 1
  TunerConfig c;
  Status s = ParseTunerConfig(with, "/work", &c);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("space.dropout: 'dropout'"), std::string::npos) << s.message();
  with["strategy"] = "random";  // samples stay below 1
  EXPECT_TRUE(ParseTunerConfig(with, "/work", &c).ok());
  with["space"] = {{"epochs", 7}};
  s = ParseTunerConfig(with, "/work", &c);
  EXPECT_NE(s.message().find("nothing to search"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace mlops::ml
