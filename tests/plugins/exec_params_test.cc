// ParseExecParams: the exec plugin's params JSON.
#include "exec_params.h"

#include <gtest/gtest.h>

namespace mlops::exec {
namespace {

using Words = std::vector<std::string>;

ExecParams Parse(const std::string& json) {
  ExecParams p;
  std::string error;
  EXPECT_TRUE(ParseExecParams(json, &p, &error)) << error;
  return p;
}

std::string Error(const std::string& json) {
  ExecParams p;
  std::string error;
  EXPECT_FALSE(ParseExecParams(json, &p, &error)) << json;
  return error;
}

TEST(ExecParamsTest, RunIsSplitWithoutAShell) {
  EXPECT_EQ(Parse(R"({"run": "python3 'my script.py' -v"})").argv,
            (Words{"python3", "my script.py", "-v"}));
}

TEST(ExecParamsTest, ShellOnlyWhenAsked) {
  EXPECT_EQ(Parse(R"({"run": "a | b", "shell": true})").argv, (Words{"/bin/sh", "-c", "a | b"}));
  EXPECT_NE(Error(R"({"run": "a | b"})").find("shell: true"), std::string::npos);
}

TEST(ExecParamsTest, ArgvIsTakenAsIs) {
  EXPECT_EQ(Parse(R"({"argv": ["echo", "a | b", "$x"]})").argv, (Words{"echo", "a | b", "$x"}));
}

TEST(ExecParamsTest, EnvOutputsAndGrace) {
  ExecParams p = Parse(
      R"({"run": "x", "env": {"A": "1", "B": 2, "C": true}, "outputs": ["o.csv"],
          "kill_grace_ms": 250, "with_other_keys": {"ignored": 1}})");
  EXPECT_EQ(p.env, (std::map<std::string, std::string>{{"A", "1"}, {"B", "2"}, {"C", "true"}}));
  EXPECT_EQ(p.outputs, (Words{"o.csv"}));
  EXPECT_EQ(p.kill_grace.count(), 250);
}

TEST(ExecParamsTest, ErrorsNameTheKey) {
  EXPECT_EQ(Error("[1]"), "params are not a JSON object");
  EXPECT_EQ(Error("{}"), "exactly one of `run` and `argv` is required");
  EXPECT_EQ(Error(R"({"run": "a", "argv": ["a"]})"), "exactly one of `run` and `argv` is required");
  EXPECT_EQ(Error(R"({"run": 3})"), "run: expected a string");
  EXPECT_EQ(Error(R"({"argv": []})"), "argv: expected a non-empty list of strings");
  EXPECT_EQ(Error(R"({"argv": ["a"], "shell": true})"), "shell: true needs `run`, not `argv`");
  EXPECT_EQ(Error(R"({"run": "a", "shell": "yes"})"), "shell: expected true or false");
  EXPECT_EQ(Error(R"({"run": "a", "env": {"A=B": "1"}})"), "env: invalid variable name 'A=B'");
  EXPECT_EQ(Error(R"({"run": "a", "env": {"A": [1]}})"), "env.A: expected a string, number or boolean");
  EXPECT_EQ(Error(R"({"run": "a", "outputs": "o.csv"})"), "outputs: expected a list of paths");
}

}  // namespace
}  // namespace mlops::exec
