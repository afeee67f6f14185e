#include "mlops/common/build_info.h"

#include <gtest/gtest.h>

namespace mlops {
namespace {

TEST(BuildInfo, VersionTextNamesVersionCommitBuildTypeAndTorch) {
  const BuildInfo& b = CurrentBuild();
  EXPECT_STRNE(b.version, "");
  EXPECT_STRNE(b.commit, "");
  const std::string text = VersionText("mlctl");
  EXPECT_EQ(text.rfind(std::string("mlctl ") + b.version + " (commit " + b.commit + ", ", 0), 0u)
      << text;
  EXPECT_NE(text.find(b.build_type), std::string::npos) << text;
  EXPECT_NE(text.find("libtorch"), std::string::npos) << text;
}

}  // namespace
}  // namespace mlops
