#include "metrics/gates.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mlops::ml::metrics {
namespace {

using nlohmann::json;

const std::vector<std::string>& Known() { return ClassificationMetricNames(); }

TEST(Gates, ParsesEveryOperator) {
  std::vector<Gate> gates;
  ASSERT_TRUE(ParseGates(json{{"f1", ">= 0.95"},
                              {"roc_auc", "> 0.9"},
                              {"log_loss", "<=0.3"},
                              {"precision", " < 1e-1 "},
                              {"accuracy", "== +1"}},
                         Known(), &gates)
                  .ok());
  ASSERT_EQ(gates.size(), 5u);
  // json objects iterate in key order.
  EXPECT_EQ(gates[0].name, "accuracy == +1");  // the threshold as written
  EXPECT_EQ(gates[0].op, GateOp::kEq);
  EXPECT_EQ(gates[1].name, "f1 >= 0.95");
  EXPECT_EQ(gates[1].threshold, 0.95);
  EXPECT_EQ(gates[2].op, GateOp::kLe);
  EXPECT_EQ(gates[2].name, "log_loss <= 0.3");
  EXPECT_EQ(gates[3].op, GateOp::kLt);
  EXPECT_EQ(gates[3].threshold, 0.1);
  EXPECT_EQ(gates[4].op, GateOp::kGt);
  ASSERT_TRUE(ParseGates(json(nullptr), Known(), &gates).ok());
  EXPECT_TRUE(gates.empty());
}

TEST(Gates, UnknownMetricNamesTheGateAndTheChoices) {
  std::vector<Gate> gates;
  Status st = ParseGates(json{{"f2", ">= 0.9"}}, Known(), &gates);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("gate f2: unknown metric 'f2'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("accuracy, precision"), std::string::npos);
  // A regression metric is unknown to a classification evaluation.
  EXPECT_FALSE(ParseGates(json{{"rmse", "<= 1"}}, Known(), &gates).ok());
}

TEST(Gates, MalformedExpressionsSayWhatWasExpected) {
  std::vector<Gate> gates;
  for (const char* bad :
       {"=> 0.9", "0.9", ">= abc", ">= nan", ">= inf", "", ">=", ">= 0.9 x", "!= 1", ">>= 1"}) {
    Status st = ParseGates(json{{"f1", bad}}, Known(), &gates);
    EXPECT_TRUE(st.IsInvalidArgument()) << bad;
    EXPECT_NE(st.message().find("gate f1: expected \"<op> <number>\""), std::string::npos)
        << st.message();
  }
  Status st = ParseGates(json{{"f1", 0.9}}, Known(), &gates);
  EXPECT_NE(st.message().find("gate f1: expected"), std::string::npos);
  EXPECT_NE(st.message().find("got 0.9"), std::string::npos);
  EXPECT_FALSE(ParseGates(json::array({"f1"}), Known(), &gates).ok());
}

TEST(Gates, EvaluationMessages) {
  MetricSet m;
  m.Set("f1", 0.9312);
  m.Set("log_loss", 0.2);
  m.SetUndefined("roc_auc", "roc_auc is undefined: only one class present in y_true");
  std::vector<Gate> gates;
  ASSERT_TRUE(ParseGates(json{{"f1", ">= 0.95"}, {"log_loss", "<= 0.3"}, {"roc_auc", "> 0.9"}},
                         Known(), &gates)
                  .ok());
  std::vector<GateResult> r = EvaluateGates(gates, m);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_FALSE(r[0].passed);
  EXPECT_EQ(r[0].message, "gate f1 >= 0.95 failed: got 0.9312");
  EXPECT_TRUE(r[1].passed);
  EXPECT_EQ(r[1].message, "gate log_loss <= 0.3 passed: got 0.2");
  EXPECT_FALSE(r[2].passed);
  EXPECT_FALSE(r[2].value.has_value());
  EXPECT_EQ(r[2].message,
            "gate roc_auc > 0.9 failed: roc_auc is undefined: only one class present in y_true");
}

TEST(Gates, AValueJustBelowTheThresholdIsShownInFull) {
  MetricSet m;
  m.Set("f1", 0.9499999999);
  Gate g;
  ASSERT_TRUE(ParseGate("f1", ">= 0.95", Known(), &g).ok());
  GateResult r = EvaluateGate(g, m);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.message, "gate f1 >= 0.95 failed: got 0.9499999999");
}

TEST(Gates, ChampionGateFollowsTheMetricsDirection) {
  Gate g = ChampionGate("f1", 0.9);
  EXPECT_EQ(g.op, GateOp::kGe);
  EXPECT_EQ(g.name, "f1 >= champion (0.9)");
  g = ChampionGate("rmse", 1.5);
  EXPECT_EQ(g.op, GateOp::kLe);
  MetricSet m;
  m.Set("rmse", 1.5);
  EXPECT_TRUE(EvaluateGate(g, m).passed);  // equal is not worse
  m.Set("rmse", 1.6);
  EXPECT_EQ(EvaluateGate(g, m).message, "gate rmse <= champion (1.5) failed: got 1.6");
}

TEST(MetricSet, SetReplacesAndUndefinedIsExclusive) {
  MetricSet m;
  m.Set("a", 1);
  m.Set("a", 2);
  EXPECT_EQ(m.values().size(), 1u);
  EXPECT_EQ(*m.Get("a"), 2);
  m.SetUndefined("a", "why");
  EXPECT_FALSE(m.Get("a").has_value());
  EXPECT_EQ(*m.UndefinedReason("a"), "why");
  m.Set("a", 3);
  EXPECT_EQ(m.UndefinedReason("a"), nullptr);
  m.Warn("w");
  m.Warn("w");
  EXPECT_EQ(m.warnings().size(), 1u);
  EXPECT_FALSE(HigherIsBetter("cv_log_loss_mean"));
  EXPECT_TRUE(HigherIsBetter("champion_f1"));
  EXPECT_FALSE(HigherIsBetter("cv_f1_std"));
}

}  // namespace
}  // namespace mlops::ml::metrics

namespace mlops::ml::metrics {
namespace {

TEST(MetricSet, SummarizeFoldsGivesMeanAndPopulationStd) {
  std::vector<MetricSet> folds(3);
  folds[0].Set("f1", 0.8);
  folds[1].Set("f1", 0.9);
  folds[2].Set("f1", 1.0);
  folds[0].Set("roc_auc", 0.7);
  folds[1].SetUndefined("roc_auc", "one class");
  folds[2].Set("roc_auc", 0.9);
  for (auto& f : folds) f.SetUndefined("pr_auc", "never");
  MetricSet s = SummarizeFolds(folds, {"f1", "roc_auc", "pr_auc"});
  EXPECT_NEAR(*s.Get("cv_f1_mean"), 0.9, 1e-15);
  EXPECT_NEAR(*s.Get("cv_f1_std"), std::sqrt(0.02 / 3), 1e-15);
  EXPECT_NEAR(*s.Get("cv_roc_auc_mean"), 0.8, 1e-15);
  ASSERT_EQ(s.warnings().size(), 1u);
  EXPECT_NE(s.warnings()[0].find("undefined in 1 of 3 folds (one class)"), std::string::npos);
  EXPECT_EQ(*s.UndefinedReason("cv_pr_auc_mean"), "never");
}

}  // namespace
}  // namespace mlops::ml::metrics
