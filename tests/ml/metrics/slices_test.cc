#include "metrics/slices.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace mlops::ml::metrics {
namespace {

TEST(Slices, FewDistinctValuesGiveOneSliceEach) {
  std::vector<Slice> s = SliceByColumn("sex", std::vector<double>{1, 0, 1, NAN, 0, 1});
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].label, "sex = 0");
  EXPECT_EQ(s[0].members, (std::vector<size_t>{1, 4}));
  EXPECT_EQ(s[1].label, "sex = 1");
  EXPECT_EQ(s[1].members, (std::vector<size_t>{0, 2, 5}));
  EXPECT_EQ(s[2].label, "sex missing");
  EXPECT_EQ(s[2].members, (std::vector<size_t>{3}));
}

TEST(Slices, TenDistinctValuesAreStillDistinct) {
  std::vector<double> v;
  for (int i = 0; i < 10; ++i) v.push_back(i);
  EXPECT_EQ(SliceByColumn("x", v).size(), 10u);
}

TEST(Slices, ManyValuesGiveQuartileBins) {
  std::vector<double> v;
  for (int i = 1; i <= 20; ++i) v.push_back(i);  // quartiles 5.75, 10.5, 15.25
  std::vector<Slice> s = SliceByColumn("age", v);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].label, "age <= 5.75");
  EXPECT_EQ(s[0].members.size(), 5u);
  EXPECT_EQ(s[1].label, "5.75 < age <= 10.5");
  EXPECT_EQ(s[1].members.size(), 5u);
  EXPECT_EQ(s[2].label, "10.5 < age <= 15.25");
  EXPECT_EQ(s[3].label, "age > 15.25");
  EXPECT_EQ(s[3].members.size(), 5u);
}

TEST(Slices, EmptyBinsAreLeftOut) {
  // Mostly zeros: the first three quartiles are 0, bins 2 and 3 are empty.
  std::vector<double> v(40, 0.0);
  for (int i = 1; i <= 11; ++i) v.push_back(i);
  std::vector<Slice> s = SliceByColumn("n", v);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].label, "n <= 0");
  EXPECT_EQ(s[0].members.size(), 40u);
  EXPECT_EQ(s[1].label, "n > 0");
}

}  // namespace
}  // namespace mlops::ml::metrics
