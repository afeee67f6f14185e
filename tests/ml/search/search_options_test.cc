// ParseSearchOptions and ParsePrunerOptions: defaults, every key, and the
// messages for bad values.
#include "search/search_options.h"

#include <gtest/gtest.h>

namespace mlops::ml {
namespace {

std::string Error(const nlohmann::json& with) {
  SearchOptions o;
  Status s = ParseSearchOptions(with, &o);
  EXPECT_TRUE(s.IsInvalidArgument()) << with.dump();
  return s.message();
}

TEST(SearchOptionsTest, DefaultsAndEveryKey) {
  SearchOptions o;
  ASSERT_TRUE(ParseSearchOptions(nlohmann::json::object(), &o).ok());
  EXPECT_EQ(o.strategy, Strategy::kTpe);
  EXPECT_EQ(o.pruner.kind, PrunerKind::kNone);
  ASSERT_TRUE(ParseSearchOptions({{"strategy", "grid"}, {"trials", 9}, {"parallel", 2}, {"seed", 7}, {"grid_points", 4},
                                  {"n_startup", 3}, {"gamma", 0.3}, {"candidates", 10},
                                  {"pruner", {{"type", "asha"}, {"min_resource", 2}, {"reduction_factor", 4}}}},
                                 &o)
                  .ok());
  EXPECT_EQ(o.strategy, Strategy::kGrid);
  EXPECT_EQ(o.trials, 9);
  EXPECT_EQ(o.parallel, 2);
  EXPECT_EQ(o.seed, 7u);
  EXPECT_EQ(o.grid_points, 4);
  EXPECT_EQ(o.tpe.n_startup, 3);
  EXPECT_EQ(o.tpe.gamma, 0.3);
  EXPECT_EQ(o.tpe.candidates, 10);
  EXPECT_EQ(o.pruner.kind, PrunerKind::kAsha);
  EXPECT_EQ(o.pruner.min_resource, 2);
  EXPECT_EQ(o.pruner.reduction_factor, 4);
  ASSERT_TRUE(ParseSearchOptions({{"pruner", "median"}}, &o).ok());
  EXPECT_EQ(o.pruner.kind, PrunerKind::kMedian);
  EXPECT_EQ(ToJson(o)["pruner"]["type"], "median");
}

TEST(SearchOptionsTest, BadValuesNameTheKey) {
  EXPECT_EQ(Error({{"strategy", "bayes"}}), "'strategy': expected grid, random or tpe, got \"bayes\"");
  EXPECT_EQ(Error({{"trials", 0}}), "'trials': expected an integer from 1 to 100000, got 0");
  EXPECT_NE(Error({{"parallel", "2"}}).find("'parallel'"), std::string::npos);
  EXPECT_NE(Error({{"seed", -1}}).find("'seed'"), std::string::npos);
  EXPECT_NE(Error({{"gamma", 1.0}}).find("'gamma'"), std::string::npos);
  EXPECT_EQ(Error({{"pruner", "hyperband"}}),
            "pruner: expected none, asha or median (or an object with \"type\"), got \"hyperband\"");
  EXPECT_NE(Error({{"pruner", {{"type", "asha"}, {"reduction_factor", 1}}}}).find("pruner.reduction_factor"),
            std::string::npos);
  EXPECT_NE(Error({{"pruner", {{"type", "asha"}, {"eta", 3}}}}).find("unknown key 'eta'"), std::string::npos);
}

}  // namespace
}  // namespace mlops::ml
