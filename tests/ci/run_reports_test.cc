// The CI report formats, from run documents shaped like GET /api/v1/runs/{id}.
#include <gtest/gtest.h>

#include "run_reports.h"

namespace mlops::ctl {
namespace {

using nlohmann::json;

json Attempt(const std::string& stage, int attempt, const std::string& status,
             const std::string& error = "", json metrics = json::array()) {
  return {{"stage", stage},       {"attempt", attempt},      {"status", status},
          {"error", error},       {"exit_code", status == "failed" ? 2 : 0},
          {"signal", 0},          {"reason", "no cached result"},
          {"log_path", "/state/logs/run-7/" + stage + ".log"},
          {"started_ms", 1000},   {"finished_ms", 3500},     {"metrics", metrics}};
}

json RunDoc(const std::string& status, json stages) {
  return {{"id", 7},          {"pipeline", "train.v2"},  {"pipeline_id", 3},
          {"status", status}, {"error", status == "failed" ? "stage b failed" : ""},
          {"commit", "abc"},  {"trigger", "manual"},     {"reason", "ci"},
          {"queued_ms", 500}, {"started_ms", 1000},      {"finished_ms", 11000},
          {"stages", stages}};
}

TEST(JUnitXml, OneTestCasePerStageJudgedByItsLatestAttempt) {
  json run = RunDoc("failed", {Attempt("a", 1, "succeeded"), Attempt("b", 1, "failed", "boom"),
                            Attempt("b", 2, "failed", "boom <again> & \"more\"")});
  const std::string xml = JUnitXml(run, {"a", "b", "c"});
  EXPECT_NE(xml.find(R"(<testsuites name="mlopsd run 7 of train.v2" tests="3" failures="1" errors="0" time="10.000">)"),
            std::string::npos) << xml;
  EXPECT_NE(xml.find(R"(<testsuite name="train.v2.stages" tests="3" failures="1" errors="0" skipped="1")"),
            std::string::npos);
  EXPECT_NE(xml.find(R"(<testcase name="a" classname="train.v2.stages" time="2.500">)"), std::string::npos);
  EXPECT_NE(xml.find(R"(<failure type="failed" message="boom &lt;again&gt; &amp; &quot;more&quot;">attempt 2: failed)"),
            std::string::npos);
  EXPECT_NE(xml.find(R"x(<skipped message="not run: the run ended failed (stage b failed)"/>)x"),
            std::string::npos);
  EXPECT_NE(xml.find("attempt 1: failed (no cached result): boom\nattempt 2"), std::string::npos);
  EXPECT_NE(xml.find(R"(<property name="run.commit" value="abc"/>)"), std::string::npos);
  EXPECT_EQ(xml.find(".gates"), std::string::npos);
}

TEST(JUnitXml, MapsEveryAttemptStatus) {
  json run = RunDoc("cancelled", {Attempt("ok", 1, "succeeded"), Attempt("hit", 1, "cached"),
                               Attempt("slow", 1, "timed_out", "timed out after 5s"),
                               Attempt("stopped", 1, "cancelled"),
                               Attempt("cut", 1, "interrupted")});
  const std::string xml = JUnitXml(run, {});
  EXPECT_NE(xml.find(R"(tests="5" failures="1" errors="1" skipped="1")"), std::string::npos) << xml;
  EXPECT_NE(xml.find(R"(<failure type="timed_out")"), std::string::npos);
  EXPECT_NE(xml.find(R"(<error type="interrupted")"), std::string::npos);
  EXPECT_NE(xml.find(R"(<skipped message="cancelled"/>)"), std::string::npos);
}

TEST(JUnitXml, GatesGetASuiteOfTheirOwn) {
  json run = RunDoc("succeeded", {Attempt("a", 1, "succeeded")});
  const std::string xml =
      JUnitXml(run, {"a"}, {{"f1 >= 0.95", true, ""}, {"auc >= 0.9", false, "auc 0.81 < 0.9"}});
  EXPECT_NE(xml.find(R"(<testsuites name="mlopsd run 7 of train.v2" tests="3" failures="1")"),
            std::string::npos) << xml;
  EXPECT_NE(xml.find(R"(<testsuite name="train.v2.gates" tests="2" failures="1")"), std::string::npos);
  EXPECT_NE(xml.find(R"(<testcase name="f1 &gt;= 0.95" classname="train.v2.gates" time="0.000"/>)"),
            std::string::npos);
  EXPECT_NE(xml.find(R"(<failure type="gate" message="auc 0.81 &lt; 0.9">)"), std::string::npos);
}

TEST(XmlEscape, ReplacesWhatXmlCannotCarry) {
  EXPECT_EQ(XmlEscape("a<b>&'\""), "a&lt;b&gt;&amp;&apos;&quot;");
  EXPECT_EQ(XmlEscape("tab\tnl\ncr\r"), "tab\tnl\ncr\r");
  EXPECT_EQ(XmlEscape(std::string("nul\0x", 5)), "nul\xEF\xBF\xBDx");
  EXPECT_EQ(XmlEscape("esc\x1b"), "esc\xEF\xBF\xBD");
  EXPECT_EQ(XmlEscape("bad\xff"), "bad\xEF\xBF\xBD");
  EXPECT_EQ(XmlEscape("\xEF\xBF\xBF"), "\xEF\xBF\xBD");
  EXPECT_EQ(XmlEscape("caf\xC3\xA9"), "caf\xC3\xA9");
}

TEST(OpenMetricsText, LastValueOfEachMetricPerStageEndingInEof) {
  json metrics = json::array({{{"key", "loss"}, {"value", 0.5}, {"step", 1}},
                              {{"key", "loss"}, {"value", 0.25}, {"step", 2}},
                              {{"key", "val \"acc\"\\\n"}, {"value", 0.9}, {"step", 0}}});
  json run = RunDoc("succeeded", {Attempt("train", 1, "succeeded", "", metrics)});
  EXPECT_EQ(OpenMetricsText(run),
            "# TYPE mlops_run_duration_seconds gauge\n"
            "# HELP mlops_run_duration_seconds Seconds from the run's start to its end.\n"
            "mlops_run_duration_seconds{pipeline=\"train.v2\"} 10.000\n"
            "# TYPE mlops_run_succeeded gauge\n"
            "# HELP mlops_run_succeeded 1 when the run succeeded, 0 otherwise.\n"
            "mlops_run_succeeded{pipeline=\"train.v2\"} 1\n"
            "# TYPE mlops_stage_duration_seconds gauge\n"
            "# HELP mlops_stage_duration_seconds Seconds the stage's latest attempt ran.\n"
            "mlops_stage_duration_seconds{pipeline=\"train.v2\",stage=\"train\"} 2.500\n"
            "# TYPE mlops_stage_metric gauge\n"
            "# HELP mlops_stage_metric Metrics the stage's latest attempt recorded, each at its "
            "highest step.\n"
            "mlops_stage_metric{pipeline=\"train.v2\",stage=\"train\",metric=\"loss\"} 0.25\n"
            "mlops_stage_metric{pipeline=\"train.v2\",stage=\"train\",metric=\"val \\\"acc\\\"\\\\\\n\"} 0.9\n"
            "# EOF\n");
}

TEST(DotenvText, StrictKeyValueLines) {
  std::string out, error;
  ASSERT_TRUE(DotenvText({"7", "succeeded", "", ""}, &out, &error)) << error;
  EXPECT_EQ(out, "RUN_ID=7\nRUN_STATUS=succeeded\n");
  ASSERT_TRUE(DotenvText({"7", "succeeded", "breast-cancer.logreg", "3"}, &out, &error));
  EXPECT_EQ(out, "RUN_ID=7\nRUN_STATUS=succeeded\nMODEL_NAME=breast-cancer.logreg\nMODEL_VERSION=3\n");
}

TEST(DotenvText, RefusesValuesADotenvParserWouldMangleAndOversizedFiles) {
  std::string out = "untouched", error;
  for (const std::string bad : {"two words", "line\nbreak", "q\"uote", "$HOME", "a#b", "\xff"}) {
    EXPECT_FALSE(DotenvText({"7", "ok", bad, ""}, &out, &error)) << bad;
    EXPECT_NE(error.find("MODEL_NAME"), std::string::npos);
  }
  EXPECT_FALSE(DotenvText({"7", "ok", std::string(6000, 'x'), ""}, &out, &error));
  EXPECT_NE(error.find("at most 5120"), std::string::npos) << error;
  EXPECT_EQ(out, "untouched");
}

}  // namespace
}  // namespace mlops::ctl
