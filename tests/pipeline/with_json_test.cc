// `with` mappings become JSON with YAML 1.2 core-schema types.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pipeline/pipeline_parser.h"

namespace mlops::pipeline {
namespace {

std::string PipelineWith(const std::string& with_block) {
  return "version: 1\nname: p\nstages:\n  - name: s\n    uses: tuner\n    with:\n" + with_block;
}

// The with_json of the single stage, or the errors joined by newlines.
std::string WithJson(const std::string& with_block) {
  Pipeline p;
  std::vector<PipelineError> errors;
  if (!ParsePipeline(PipelineWith(with_block), ParseOptions{"w.yaml", {}}, &p, &errors)) {
    std::string all;
    for (const PipelineError& e : errors) all += e.ToString() + "\n";
    return all;
  }
  return p.stages[0].with_json;
}

TEST(WithJsonTest, ScalarTypes) {
  const nlohmann::json j =
      nlohmann::json::parse(WithJson("      int: 24\n"
                                     "      negative: -3\n"
                                     "      hex: 0x1F\n"
                                     "      octal: 0o17\n"
                                     "      big: 99999999999999999999\n"
                                     "      float: 0.95\n"
                                     "      exp: 1e-4\n"
                                     "      t: true\n"
                                     "      f: False\n"
                                     "      yes_is_a_string: yes\n"
                                     "      on_is_a_string: on\n"
                                     "      tilde: ~\n"
                                     "      null_word: null\n"
                                     "      empty:\n"
                                     "      quoted_int: \"24\"\n"
                                     "      quoted_bool: 'true'\n"
                                     "      tagged: !!str 7\n"
                                     "      text: tpe\n"
                                     "      gate: \">= 0.95\"\n"
                                     "      version_like: 1.2.3\n"));
  EXPECT_TRUE(j["int"].is_number_integer());
  EXPECT_EQ(j["int"], 24);
  EXPECT_EQ(j["negative"], -3);
  EXPECT_EQ(j["hex"], 31);
  EXPECT_EQ(j["octal"], 15);
  EXPECT_TRUE(j["big"].is_number_float());
  EXPECT_DOUBLE_EQ(j["big"].get<double>(), 1e20);
  EXPECT_TRUE(j["float"].is_number_float());
  EXPECT_DOUBLE_EQ(j["float"].get<double>(), 0.95);
  EXPECT_DOUBLE_EQ(j["exp"].get<double>(), 1e-4);
  EXPECT_EQ(j["t"], true);
  EXPECT_EQ(j["f"], false);
  EXPECT_EQ(j["yes_is_a_string"], "yes");
  EXPECT_EQ(j["on_is_a_string"], "on");
  EXPECT_TRUE(j["tilde"].is_null());
  EXPECT_TRUE(j["null_word"].is_null());
  EXPECT_TRUE(j["empty"].is_null());
  EXPECT_EQ(j["quoted_int"], "24");
  EXPECT_EQ(j["quoted_bool"], "true");
  EXPECT_EQ(j["tagged"], "7");
  EXPECT_EQ(j["text"], "tpe");
  EXPECT_EQ(j["gate"], ">= 0.95");
  EXPECT_EQ(j["version_like"], "1.2.3");
}

TEST(WithJsonTest, NestedAndCompact) {
  EXPECT_EQ(WithJson("      space: { lr: \"loguniform(1e-4, 1e-1)\", hidden: [16, 32] }\n"
                     "      strategy: tpe\n"
                     "      list:\n"
                     "        - {a: 1}\n"
                     "        - [true, null]\n"),
            R"j({"list":[{"a":1},[true,null]],"space":{"hidden":[16,32],)j"
            R"j("lr":"loguniform(1e-4, 1e-1)"},"strategy":"tpe"})j");
}

TEST(WithJsonTest, AliasesAreExpanded) {
  EXPECT_EQ(WithJson("      a: &x {k: 1}\n      b: *x\n"), R"j({"a":{"k":1},"b":{"k":1}})j");
}

TEST(WithJsonTest, EmptyMappingAndDefault) {
  EXPECT_EQ(WithJson("      {}\n"), "{}");
  Pipeline p;
  std::vector<PipelineError> errors;
  ASSERT_TRUE(ParsePipeline("version: 1\nname: p\nstages: [{name: s, uses: tuner}]\n",
                            ParseOptions{}, &p, &errors));
  EXPECT_EQ(p.stages[0].with_json, "{}");
}

TEST(WithJsonTest, Refused) {
  EXPECT_EQ(WithJson("      - 1\n"),
            "w.yaml:7:7: 'with' of stage 's': expected a mapping, got a list\n");
  EXPECT_EQ(WithJson("      x: .inf\n"),
            "w.yaml:7:10: 'with' of stage 's': the number '.inf' has no JSON form\n");
  EXPECT_EQ(WithJson("      a: 1\n      b: {c: 1, c: 2}\n"),
            "w.yaml:8:17: duplicate key 'c' in 'with' of stage 's'; first defined at line 8\n");
  EXPECT_EQ(WithJson("      ? [a]\n      : 1\n"),
            "w.yaml:7:9: expected a plain key in 'with' of stage 's', got a list\n");
  EXPECT_EQ(WithJson("      a: &x [1, *x]\n"),
            "w.yaml:7:14: 'with' of stage 's': nested deeper than 64 levels or more than "
            "100000 values (a recursive alias?)\n");
}

}  // namespace
}  // namespace mlops::pipeline
