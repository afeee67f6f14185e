#include "pipeline/stage_graph.h"

#include <gtest/gtest.h>

namespace mlops::pipeline {
namespace {

Pipeline Make(const std::vector<std::pair<std::string, std::vector<std::string>>>& stages) {
  Pipeline p;
  p.name = "g";
  for (const auto& [name, needs] : stages) {
    Stage s;
    s.name = name;
    s.uses = "exec";
    s.needs = needs;
    p.stages.push_back(s);
  }
  return p;
}

// Every stage appears once, after each of its dependencies.
void ExpectTopological(const StageGraph& g) {
  std::vector<int> at(g.size(), -1);
  const std::vector<int>& order = g.topological_order();
  ASSERT_EQ(static_cast<int>(order.size()), g.size());
  for (int i = 0; i < g.size(); ++i) {
    ASSERT_EQ(at[order[i]], -1) << "stage " << order[i] << " placed twice";
    at[order[i]] = i;
  }
  for (int s = 0; s < g.size(); ++s) {
    for (int d : g.dependencies(s)) EXPECT_LT(at[d], at[s]) << d << " before " << s;
  }
}

TEST(StageGraphTest, Diamond) {
  // Listed out of order on purpose: the graph, not the file, decides.
  const Pipeline p =
      Make({{"join", {"left", "right"}}, {"left", {"root"}}, {"right", {"root"}}, {"root", {}}});
  const StageGraph g(p);
  ASSERT_EQ(g.size(), 4);
  EXPECT_EQ(g.Find("root"), 3);
  EXPECT_EQ(g.Find("join"), 0);
  EXPECT_EQ(g.Find("nope"), -1);
  EXPECT_EQ(g.dependencies(0), (std::vector<int>{1, 2}));
  EXPECT_EQ(g.dependents(3), (std::vector<int>{1, 2}));
  EXPECT_TRUE(g.dependents(0).empty());
  EXPECT_EQ(g.topological_order(), (std::vector<int>{3, 1, 2, 0}));
  ExpectTopological(g);
}

TEST(StageGraphTest, IndependentStagesKeepFileOrder) {
  const StageGraph g(Make({{"c", {}}, {"a", {}}, {"b", {"c"}}, {"d", {}}}));
  EXPECT_EQ(g.topological_order(), (std::vector<int>{0, 1, 3, 2}));
}

TEST(StageGraphTest, ChainOf1000) {
  std::vector<std::pair<std::string, std::vector<std::string>>> stages;
  for (int i = 999; i >= 0; --i) {  // reversed: the last stage in the file runs first
    stages.push_back(
        {"s" + std::to_string(i), i == 0 ? std::vector<std::string>{}
                                         : std::vector<std::string>{"s" + std::to_string(i - 1)}});
  }
  const StageGraph g(Make(stages));
  ASSERT_EQ(g.size(), 1000);
  ExpectTopological(g);
  EXPECT_EQ(g.topological_order().front(), 999);
  EXPECT_EQ(g.topological_order().back(), 0);
}

TEST(StageGraphTest, FanOutFanIn50Wide) {
  std::vector<std::pair<std::string, std::vector<std::string>>> stages = {{"src", {}}};
  std::vector<std::string> all;
  for (int i = 0; i < 50; ++i) {
    stages.push_back({"w" + std::to_string(i), {"src"}});
    all.push_back("w" + std::to_string(i));
  }
  stages.push_back({"sink", all});
  const StageGraph g(Make(stages));
  ExpectTopological(g);
  EXPECT_EQ(g.dependents(0).size(), 50u);
  EXPECT_EQ(g.dependencies(51).size(), 50u);
  EXPECT_EQ(g.topological_order().back(), 51);
}

TEST(FindCycleTest, NoneInADag) {
  std::vector<std::string> path = {"untouched"};
  EXPECT_FALSE(FindCycle(Make({{"a", {}}, {"b", {"a"}}, {"c", {"a", "b"}}}), &path));
  EXPECT_EQ(path, std::vector<std::string>{"untouched"});
}

TEST(FindCycleTest, ThreeCycleStartsAtFirstStageInFile) {
  std::vector<std::string> path;
  ASSERT_TRUE(FindCycle(Make({{"x", {}}, {"b", {"c"}}, {"a", {"b"}}, {"c", {"a", "x"}}}), &path));
  EXPECT_EQ(path, (std::vector<std::string>{"b", "c", "a", "b"}));
}

TEST(FindCycleTest, SelfNeedAndUnknownNeeds) {
  std::vector<std::string> path;
  ASSERT_TRUE(FindCycle(Make({{"a", {"ghost"}}, {"b", {"b"}}}), &path));
  EXPECT_EQ(path, (std::vector<std::string>{"b", "b"}));
}

TEST(FindCycleTest, OnePerComponentShortestThroughFirst) {
  const auto cycles = FindCycles(Make(
      {{"a", {"b"}}, {"b", {"c", "a"}}, {"c", {"a"}}, {"d", {}}, {"e", {"f"}}, {"f", {"e", "d"}}}));
  ASSERT_EQ(cycles.size(), 2u);
  EXPECT_EQ(cycles[0], (std::vector<std::string>{"a", "b", "a"}));
  EXPECT_EQ(cycles[1], (std::vector<std::string>{"e", "f", "e"}));
}

TEST(FindCycleTest, LongChainClosedIntoARing) {
  std::vector<std::pair<std::string, std::vector<std::string>>> stages;
  for (int i = 0; i < 1000; ++i) {
    stages.push_back({"s" + std::to_string(i), {"s" + std::to_string((i + 1) % 1000)}});
  }
  std::vector<std::string> path;
  ASSERT_TRUE(FindCycle(Make(stages), &path));
  ASSERT_EQ(path.size(), 1001u);
  EXPECT_EQ(path.front(), "s0");
  EXPECT_EQ(path[1], "s1");
  EXPECT_EQ(path.back(), "s0");
}

}  // namespace
}  // namespace mlops::pipeline
