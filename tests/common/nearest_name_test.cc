#include "mlops/common/nearest_name.h"

#include <gtest/gtest.h>

namespace mlops {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("runs", "runs"), 0u);
  EXPECT_EQ(EditDistance("runz", "runs"), 1u);
  EXPECT_EQ(EditDistance("run", "runs"), 1u);
  EXPECT_EQ(EditDistance("mlp", "mpl"), 1u);  // a swap is one edit
  EXPECT_EQ(EditDistance("lsit", "list"), 1u);
  EXPECT_EQ(EditDistance("ca", "abc"), 3u);    // no edits of a swapped pair
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
}

TEST(NearestName, SuggestsOnlyWhatLooksLikeATypo) {
  const std::vector<std::string_view> names = {"runs", "logs", "lineage", "trigger"};
  EXPECT_EQ(NearestName("runz", names), "runs");
  EXPECT_EQ(NearestName("trigegr", names), "trigger");
  EXPECT_EQ(NearestName("runs", names), "");  // an exact name is no typo
  EXPECT_EQ(NearestName("xyz", names), "");   // too far from every name
  EXPECT_EQ(NearestName("lsit", {"list", "show"}), "list");
  EXPECT_EQ(NearestName("xo", names), "");    // two edits of a two-letter word: too much
  EXPECT_EQ(NearestName("runz", {}), "");
  EXPECT_EQ(DidYouMean("breast-cancer-mpl", {"breast-cancer-mlp", "digits-mlp"}),
            "; did you mean 'breast-cancer-mlp'?");
  EXPECT_EQ(DidYouMean("zzz", {"breast-cancer-mlp"}), "");
}

}  // namespace
}  // namespace mlops
