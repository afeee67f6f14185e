// GridSampler: the size and the fixed order of the grid, and the values
// each kind of dimension contributes.
#include "search/grid_sampler.h"

#include <gtest/gtest.h>

#include <set>

namespace mlops::ml {
namespace {

SearchSpace Parse(const nlohmann::json& j) {
  SearchSpace s;
  EXPECT_TRUE(ParseSearchSpace(j, &s).ok());
  return s;
}

TEST(GridSamplerTest, SizeIsTheProductOfTheAxes) {
  const SearchSpace s = Parse({{"a", "choice(x, y)"}, {"b", "int(1, 3)"}, {"c", "uniform(0, 1)"}, {"d", 7}});
  EXPECT_EQ(GridSampler(s, 3).size(), 2 * 3 * 3);
  EXPECT_EQ(GridSampler(s, 5).size(), 2 * 3 * 5);  // int(1, 3) has only three integers
  EXPECT_EQ(GridSampler(s, 1).size(), 2);
}

TEST(GridSamplerTest, LastDimensionVariesFastest) {
  const SearchSpace s = Parse({{"a", "choice(x, y)"}, {"b", "int(1, 3)"}, {"c", "uniform(0, 1)"}});
  const GridSampler g(s, 3);
  Rng rng(1);
  std::vector<nlohmann::json> points;
  for (int n = 0; n < g.size(); ++n) points.push_back(s.ParamsAt(g.Suggest(n, {}, rng)));
  EXPECT_EQ(points[0], nlohmann::json({{"a", "x"}, {"b", 1}, {"c", 0.0}}));
  EXPECT_EQ(points[1], nlohmann::json({{"a", "x"}, {"b", 1}, {"c", 0.5}}));
  EXPECT_EQ(points[2], nlohmann::json({{"a", "x"}, {"b", 1}, {"c", 1.0}}));
  EXPECT_EQ(points[3], nlohmann::json({{"a", "x"}, {"b", 2}, {"c", 0.0}}));
  EXPECT_EQ(points[9], nlohmann::json({{"a", "y"}, {"b", 1}, {"c", 0.0}}));
  EXPECT_EQ(points[17], nlohmann::json({{"a", "y"}, {"b", 3}, {"c", 1.0}}));
  EXPECT_EQ(std::set<nlohmann::json>(points.begin(), points.end()).size(), points.size());
}

TEST(GridSamplerTest, LogUniformIsLogSpacedAndIntsAreDistinct) {
  const SearchSpace s = Parse({{"lr", "loguniform(1e-4, 1e-1)"}});
  std::vector<double> lrs;
  for (double c : GridCoordinates(s.dims[0], 4)) lrs.push_back(s.ParamsAt({c})["lr"].get<double>());
  EXPECT_EQ(lrs, (std::vector<double>{1e-4, 1e-3, 1e-2, 1e-1}));

  const SearchSpace i = Parse({{"e", "int(20, 200)"}});
  EXPECT_EQ(GridCoordinates(i.dims[0], 3), (std::vector<double>{20, 110, 200}));
  EXPECT_EQ(GridCoordinates(i.dims[0], 1), (std::vector<double>{110}));
  const SearchSpace small = Parse({{"e", "int(1, 2)"}});
  EXPECT_EQ(GridCoordinates(small.dims[0], 5), (std::vector<double>{1, 2}));
}

}  // namespace
}  // namespace mlops::ml
