#include "metrics/evaluation_report.h"

#include <gtest/gtest.h>

namespace mlops::ml::metrics {
namespace {

using nlohmann::json;

EvaluationReport SampleReport() {
  EvaluationReport r;
  r.model_path = "/w/model.mlp";
  r.task = "classification";
  r.classes = {"benign", "malignant"};
  r.data_path = "/w/data.csv";
  r.data_sha256 = std::string(64, 'a');
  r.train_rows = 60;
  r.validation_rows = 20;
  r.test_rows = 20;
  r.metrics.Set("f1", 0.9312);
  r.metrics.Set("accuracy", 0.95);
  r.metrics.SetUndefined("roc_auc", "roc_auc is undefined: only one class present in y_true");
  r.confusion = {{9, 1}, {0, 10}};
  SliceMetrics s;
  s.column = "sex";
  s.label = "sex = 1";
  s.rows = 12;
  s.metrics.Set("f1", 0.9);
  r.slices.push_back(s);
  ChampionComparison c;
  c.present = true;
  c.source = "MLOPS_PRODUCTION_MODEL";
  c.path = "/prod/model.mlp";
  c.metric = "f1";
  c.metrics.Set("f1", 0.92);
  r.champion = c;
  std::vector<Gate> gates;
  EXPECT_TRUE(ParseGates(json{{"f1", ">= 0.95"}, {"accuracy", "> 0.9"}},
                         ClassificationMetricNames(), &gates)
                  .ok());
  gates.push_back(ChampionGate("f1", 0.92));
  r.gates = EvaluateGates(gates, r.metrics);
  return r;
}

TEST(EvaluationReport, Json) {
  EvaluationReport r = SampleReport();
  EXPECT_FALSE(r.passed());
  json j = ToJson(r);
  EXPECT_EQ(j["version"], kEvaluationReportVersion);
  EXPECT_EQ(j["passed"], false);
  EXPECT_EQ(j["task"], "classification");
  EXPECT_EQ(j["sizes"]["test"], 20);
  EXPECT_EQ(j["metrics"]["values"]["f1"], 0.9312);
  EXPECT_EQ(j["metrics"]["undefined"]["roc_auc"],
            "roc_auc is undefined: only one class present in y_true");
  EXPECT_EQ(j["confusion_matrix"], json::parse("[[9,1],[0,10]]"));
  EXPECT_EQ(j["slices"][0]["slice"], "sex = 1");
  EXPECT_EQ(j["slices"][0]["metrics"]["values"]["f1"], 0.9);
  EXPECT_EQ(j["champion"]["metrics"]["values"]["f1"], 0.92);
  ASSERT_EQ(j["gates"].size(), 3u);
  EXPECT_EQ(j["gates"][0]["gate"], "accuracy > 0.9");
  EXPECT_EQ(j["gates"][0]["passed"], true);
  EXPECT_EQ(j["gates"][1]["message"], "gate f1 >= 0.95 failed: got 0.9312");
  EXPECT_EQ(j["gates"][2]["gate"], "f1 >= champion (0.92)");
  EXPECT_EQ(j["gates"][2]["passed"], true);
  EXPECT_FALSE(j.contains("cross_validation"));
}

TEST(EvaluationReport, JunitOneCasePerGateWithEscapedFailures) {
  std::string x = ToJunitXml(SampleReport(), "evaluate");
  EXPECT_EQ(x.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0), 0u);
  EXPECT_NE(x.find("<testsuite name=\"evaluate\" tests=\"3\" failures=\"1\""), std::string::npos)
      << x;
  EXPECT_NE(
      x.find("<testcase classname=\"evaluate.gates\" name=\"accuracy &gt; 0.9\" time=\"0\"/>"),
      std::string::npos)
      << x;
  EXPECT_NE(x.find("<failure type=\"gate\" message=\"gate f1 &gt;= 0.95 failed: got 0.9312\">"),
            std::string::npos)
      << x;
  EXPECT_NE(x.find("<property name=\"f1\" value=\"0.9312\"/>"), std::string::npos);
  // One suite.
  EXPECT_EQ(x.find("<testsuite "), x.rfind("<testsuite "));
}

TEST(EvaluationReport, NoGatesIsAnEmptyPassingSuite) {
  EvaluationReport r;
  EXPECT_TRUE(r.passed());
  std::string x = ToJunitXml(r, "e");
  EXPECT_NE(x.find("tests=\"0\" failures=\"0\""), std::string::npos);
  EXPECT_EQ(x.find("<testcase"), std::string::npos);
}

TEST(EvaluationReport, XmlEscape) {
  EXPECT_EQ(XmlEscape("a<b & \"c\" 'd' >"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos; &gt;");
  EXPECT_EQ(XmlEscape("line\nnext\x01"), "line&#10;next\xEF\xBF\xBD");
  EXPECT_EQ(XmlEscape("caf\xC3\xA9"), "caf\xC3\xA9");  // UTF-8 passes through
}

}  // namespace
}  // namespace mlops::ml::metrics
