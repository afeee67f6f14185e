// The stage hosts' environment: this process's, with overrides set while
// threads run (no setenv).
#include "process/stage_host_env.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>
#include <vector>

namespace mlops {
namespace {

std::vector<std::string> Entries(const StageHostEnvironment& env) {
  std::vector<std::string> out;
  for (char* const* e = env.envp(); *e != nullptr; ++e) out.emplace_back(*e);
  return out;
}

int Count(const std::vector<std::string>& entries, const std::string& prefix) {
  int n = 0;
  for (const auto& e : entries) n += e.rfind(prefix, 0) == 0;
  return n;
}

TEST(StageHostEnvTest, OverridesReplaceAddAndRemoveVariables) {
  ::setenv("MLOPS_ENV_TEST_INHERITED", "from-process", 1);
  ::setenv("MLOPS_ENV_TEST_REPLACED", "old", 1);
  SetStageHostEnv("MLOPS_ENV_TEST_REPLACED", "new");
  SetStageHostEnv("MLOPS_ENV_TEST_ADDED", "a:b");
  SetStageHostEnv("MLOPS_ENV_TEST_INHERITED", "");  // removed for stage hosts
  std::vector<std::string> env = Entries(StageHostEnvironment());
  EXPECT_EQ(Count(env, "MLOPS_ENV_TEST_INHERITED="), 0);
  EXPECT_EQ(Count(env, "MLOPS_ENV_TEST_REPLACED="), 1);
  EXPECT_EQ(Count(env, "MLOPS_ENV_TEST_REPLACED=new"), 1);
  EXPECT_EQ(Count(env, "MLOPS_ENV_TEST_ADDED=a:b"), 1);
  EXPECT_EQ(Count(env, "PATH="), ::getenv("PATH") != nullptr ? 1 : 0);
  // This process's own environment is untouched.
  EXPECT_STREQ(::getenv("MLOPS_ENV_TEST_REPLACED"), "old");
  EXPECT_EQ(::getenv("MLOPS_ENV_TEST_ADDED"), nullptr);
  for (const char* name : {"MLOPS_ENV_TEST_REPLACED", "MLOPS_ENV_TEST_ADDED"}) {
    SetStageHostEnv(name, "");
  }
  ::unsetenv("MLOPS_ENV_TEST_INHERITED");
  ::unsetenv("MLOPS_ENV_TEST_REPLACED");
}

}  // namespace
}  // namespace mlops
