// Classification metrics on small cases checked by hand (and against
// scikit-learn's documented examples).
#include "metrics/classification_metrics.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <vector>

namespace mlops::ml::metrics {
namespace {

// Two-column probabilities from the scores of class 1.
std::vector<double> Binary(const std::vector<double>& p1) {
  std::vector<double> out;
  for (double p : p1) {
    out.push_back(1 - p);
    out.push_back(p);
  }
  return out;
}

bool HasWarning(const MetricSet& m, const std::string& part) {
  for (const std::string& w : m.warnings()) {
    if (w.find(part) != std::string::npos) return true;
  }
  return false;
}

TEST(ClassificationMetrics, BinaryHandChecked) {
  const std::vector<int> y = {0, 0, 1, 1};
  ClassificationEvaluation e;
  ASSERT_TRUE(EvaluateClassification(y, Binary({0.1, 0.4, 0.35, 0.8}), 2, &e).ok());
  // Predictions 0 0 0 1: one true positive, no false positive, one miss.
  EXPECT_DOUBLE_EQ(*e.metrics.Get("accuracy"), 0.75);
  EXPECT_DOUBLE_EQ(*e.metrics.Get("precision"), 1.0);
  EXPECT_DOUBLE_EQ(*e.metrics.Get("recall"), 0.5);
  EXPECT_DOUBLE_EQ(*e.metrics.Get("f1"), 2.0 / 3.0);
  // Macro: class 0 has P 2/3, R 1, F 0.8; class 1 P 1, R 0.5, F 2/3.
  EXPECT_DOUBLE_EQ(*e.metrics.Get("precision_macro"), (2.0 / 3.0 + 1.0) / 2);
  EXPECT_DOUBLE_EQ(*e.metrics.Get("recall_macro"), 0.75);
  EXPECT_DOUBLE_EQ(*e.metrics.Get("f1_macro"), (0.8 + 2.0 / 3.0) / 2);
  EXPECT_DOUBLE_EQ(*e.metrics.Get("roc_auc"), 0.75);
  EXPECT_NEAR(*e.metrics.Get("pr_auc"), 0.8333333333333333, 1e-15);
  const double ll = -(std::log(0.9) + std::log(0.6) + std::log(0.35) + std::log(0.8)) / 4;
  EXPECT_NEAR(*e.metrics.Get("log_loss"), ll, 1e-15);
  EXPECT_EQ(e.confusion, (ConfusionMatrix{{2, 0}, {1, 1}}));
  EXPECT_TRUE(e.metrics.warnings().empty());
  EXPECT_TRUE(e.metrics.undefined().empty());
}

TEST(ClassificationMetrics, MetricOrderIsTheCatalogue) {
  ClassificationEvaluation e;
  ASSERT_TRUE(EvaluateClassification(std::vector<int>{0, 1}, Binary({0.2, 0.7}), 2, &e).ok());
  std::vector<std::string> names;
  for (const auto& [n, v] : e.metrics.values()) names.push_back(n);
  EXPECT_EQ(names, ClassificationMetricNames());
}

TEST(ClassificationMetrics, ArgmaxTiesGoToTheLowestIndex) {
  EXPECT_EQ(ArgmaxClasses(std::vector<double>{0.5, 0.5, 0.3, 0.7}, 2), (std::vector<int>{0, 1}));
  EXPECT_EQ(ArgmaxClasses(std::vector<double>{0.2, 0.4, 0.4}, 3), (std::vector<int>{1}));
}

TEST(ClassificationMetrics, NoPredictedPositivesGivesZeroPrecisionWithAWarning) {
  ClassificationEvaluation e;
  ASSERT_TRUE(
      EvaluateClassification(std::vector<int>{0, 1, 1}, Binary({0.1, 0.2, 0.3}), 2, &e).ok());
  EXPECT_EQ(*e.metrics.Get("precision"), 0.0);
  EXPECT_EQ(*e.metrics.Get("recall"), 0.0);
  EXPECT_EQ(*e.metrics.Get("f1"), 0.0);
  EXPECT_TRUE(HasWarning(e.metrics, "precision is ill-defined and set to 0.0"));
  EXPECT_FALSE(std::isnan(*e.metrics.Get("precision_macro")));
}

TEST(ClassificationMetrics, SingleClassLeavesRocAucUndefined) {
  ClassificationEvaluation e;
  ASSERT_TRUE(
      EvaluateClassification(std::vector<int>{0, 0, 0}, Binary({0.1, 0.6, 0.3}), 2, &e).ok());
  EXPECT_FALSE(e.metrics.Get("roc_auc").has_value());
  ASSERT_NE(e.metrics.UndefinedReason("roc_auc"), nullptr);
  EXPECT_NE(e.metrics.UndefinedReason("roc_auc")->find("only one class present"),
            std::string::npos);
  // sklearn: no positive sample, recall set to one, average precision 0.
  EXPECT_EQ(*e.metrics.Get("pr_auc"), 0.0);
  EXPECT_TRUE(HasWarning(e.metrics, "no positive sample"));
  // Recall of class 1 is ill-defined; macro over {0, 1} (1 is predicted).
  EXPECT_TRUE(HasWarning(e.metrics, "recall is ill-defined"));
  EXPECT_DOUBLE_EQ(*e.metrics.Get("accuracy"), 2.0 / 3.0);
}

TEST(ClassificationMetrics, MultiClass) {
  // Three classes, one mistake (sample 3: true 2, predicted 1).
  const std::vector<int> y = {0, 1, 2, 2};
  const std::vector<double> p = {0.8, 0.1, 0.1,  //
                                 0.2, 0.7, 0.1,  //
                                 0.1, 0.2, 0.7,  //
                                 0.1, 0.5, 0.4};
  ClassificationEvaluation e;
  ASSERT_TRUE(EvaluateClassification(y, p, 3, &e).ok());
  EXPECT_DOUBLE_EQ(*e.metrics.Get("accuracy"), 0.75);
  // Per class P: 1, 0.5, 1; R: 1, 1, 0.5; F: 1, 2/3, 2/3.
  EXPECT_DOUBLE_EQ(*e.metrics.Get("precision_macro"), 2.5 / 3);
  EXPECT_DOUBLE_EQ(*e.metrics.Get("recall_macro"), 2.5 / 3);
  EXPECT_DOUBLE_EQ(*e.metrics.Get("f1_macro"), (1 + 4.0 / 3) / 3);
  // More than two classes: the headline figures are the macro ones.
  EXPECT_EQ(*e.metrics.Get("f1"), *e.metrics.Get("f1_macro"));
  // OvR AUCs: class 0: 1; class 1: 1 (0.7, 0.5 over 0.1, 0.2) ; class 2:
  // positives 0.7, 0.4 against 0.1, 0.1 -> 1.
  EXPECT_DOUBLE_EQ(*e.metrics.Get("roc_auc"), 1.0);
  EXPECT_EQ(e.confusion, (ConfusionMatrix{{1, 0, 0}, {0, 1, 0}, {0, 1, 1}}));
}

TEST(ClassificationMetrics, MultiClassWithAnAbsentClassHasNoRocAuc) {
  const std::vector<int> y = {0, 1, 0};
  const std::vector<double> p = {0.6, 0.2, 0.2, 0.2, 0.6, 0.2, 0.3, 0.3, 0.4};
  ClassificationEvaluation e;
  ASSERT_TRUE(EvaluateClassification(y, p, 3, &e).ok());
  ASSERT_NE(e.metrics.UndefinedReason("roc_auc"), nullptr);
  EXPECT_NE(e.metrics.UndefinedReason("roc_auc")->find("class 2"), std::string::npos);
  EXPECT_TRUE(e.metrics.Get("pr_auc").has_value());
}

TEST(ClassificationMetrics, LogLossClipsAtMachineEpsilon) {
  double ll = 0;
  ASSERT_TRUE(LogLoss(std::vector<int>{1}, Binary({0.0}), 2, &ll).ok());
  // p = eps / ((1 - eps) + eps) = eps.
  EXPECT_NEAR(ll, -std::log(DBL_EPSILON), 1e-12);
  ASSERT_TRUE(LogLoss(std::vector<int>{1}, Binary({1.0}), 2, &ll).ok());
  EXPECT_NEAR(ll, -std::log((1 - DBL_EPSILON) / 1.0), 1e-30);
}

TEST(ClassificationMetrics, BadInputIsAnError) {
  ClassificationEvaluation e;
  EXPECT_TRUE(EvaluateClassification({}, {}, 2, &e).IsInvalidArgument());
  EXPECT_TRUE(EvaluateClassification(std::vector<int>{0}, std::vector<double>{1.0}, 1, &e)
                  .IsInvalidArgument());
  EXPECT_TRUE(
      EvaluateClassification(std::vector<int>{0, 1}, Binary({0.5}), 2, &e).IsInvalidArgument());
  Status st = EvaluateClassification(std::vector<int>{2}, Binary({0.5}), 2, &e);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("label 2"), std::string::npos);
  st = EvaluateClassification(std::vector<int>{0}, Binary({NAN}), 2, &e);
  EXPECT_NE(st.message().find("not finite"), std::string::npos);
}

}  // namespace
}  // namespace mlops::ml::metrics
