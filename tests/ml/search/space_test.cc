// ParseSearchSpace: every distribution, fixed values, and each bad text
// with the message it gives.
#include "search/space.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mlops::ml {
namespace {

SearchSpace Parse(const nlohmann::json& j) {
  SearchSpace s;
  Status st = ParseSearchSpace(j, &s);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return s;
}

std::string Error(const nlohmann::json& j) {
  SearchSpace s;
  Status st = ParseSearchSpace(j, &s);
  EXPECT_TRUE(st.IsInvalidArgument()) << j.dump();
  return st.message();
}

const Dimension& Dim(const SearchSpace& s, const std::string& name) {
  for (const auto& d : s.dims) {
    if (d.name == name) return d;
  }
  static Dimension none;
  ADD_FAILURE() << "no dimension " << name;
  return none;
}

TEST(SearchSpaceTest, ParsesEveryKind) {
  const SearchSpace s = Parse({{"lr", "loguniform(1e-4, 1e-1)"}, {"hidden", "choice(16, 32, 64)"},
                               {"dropout", "uniform(0, 0.5)"},  {"epochs", "int(20, 200)"},
                               {"optimizer", "choice(adam, sgd)"}, {"batch_size", 32}});
  ASSERT_EQ(s.dims.size(), 6u);
  EXPECT_EQ(s.SearchableCount(), 5);
  EXPECT_EQ(s.dims[0].name, "batch_size");  // name order
  EXPECT_EQ(Dim(s, "lr").kind, DimensionKind::kLogUniform);
  EXPECT_DOUBLE_EQ(Dim(s, "lr").low, std::log(1e-4));
  EXPECT_DOUBLE_EQ(Dim(s, "lr").high, std::log(1e-1));
  EXPECT_EQ(Dim(s, "hidden").kind, DimensionKind::kChoice);
  EXPECT_EQ(Dim(s, "hidden").choices, (std::vector<nlohmann::json>{16, 32, 64}));
  EXPECT_TRUE(Dim(s, "hidden").choices[0].is_number_integer());
  EXPECT_EQ(Dim(s, "dropout").kind, DimensionKind::kUniform);
  EXPECT_EQ(Dim(s, "epochs").kind, DimensionKind::kInt);
  EXPECT_EQ(Dim(s, "epochs").low, 20);
  EXPECT_EQ(Dim(s, "epochs").high, 200);
  EXPECT_EQ(Dim(s, "optimizer").choices, (std::vector<nlohmann::json>{"adam", "sgd"}));
  EXPECT_EQ(Dim(s, "batch_size").kind, DimensionKind::kFixed);
  EXPECT_EQ(Dim(s, "batch_size").fixed, 32);
}

TEST(SearchSpaceTest, ChoiceValuesMayBeQuotedNumbersOrBooleans) {
  const SearchSpace s = Parse({{"a", "choice('x, y', \"z\", 0.5, true, 3)"}, {"b", " choice( relu ,tanh ) "}});
  EXPECT_EQ(Dim(s, "a").choices, (std::vector<nlohmann::json>{"x, y", "z", 0.5, true, 3}));
  EXPECT_EQ(Dim(s, "b").choices, (std::vector<nlohmann::json>{"relu", "tanh"}));
}

TEST(SearchSpaceTest, PlainValuesAreFixed) {
  const SearchSpace s = Parse({{"optimizer", "adam"}, {"hidden", {32, 32}}, {"note", "see: docs"}});
  EXPECT_EQ(s.SearchableCount(), 0);
  EXPECT_EQ(Dim(s, "optimizer").fixed, "adam");
  EXPECT_EQ(Dim(s, "hidden").fixed, nlohmann::json({32, 32}));
  EXPECT_EQ(Dim(s, "note").fixed, "see: docs");
  EXPECT_EQ(s.ParamsAt({0, 0, 0}), nlohmann::json({{"hidden", {32, 32}}, {"note", "see: docs"}, {"optimizer", "adam"}}));
}

TEST(SearchSpaceTest, ParamsAtGivesTidyValues) {
  const SearchSpace s = Parse({{"lr", "loguniform(1e-4, 1e-1)"}, {"n", "int(1, 9)"}, {"opt", "choice(adam, sgd)"}});
  // Dimensions in name order: lr, n, opt.
  const ParamValues p = s.ParamsAt({std::log(1e-3), 4.0, 1.0});
  EXPECT_EQ(p["lr"].get<double>(), 1e-3);
  EXPECT_EQ(p["n"], 4);
  EXPECT_TRUE(p["n"].is_number_integer());
  EXPECT_EQ(p["opt"], "sgd");
}

TEST(SearchSpaceTest, BadTextsNameTheParameterTheTextAndWhatWasExpected) {
  EXPECT_EQ(Error({{"lr", "loguniform(0, 1)"}}),
            "space.lr: expected loguniform(low, high) with 0 < low < high, got 'loguniform(0, 1)'");
  EXPECT_EQ(Error({{"d", "uniform(0.5, 0.5)"}}), "space.d: expected uniform(low, high) with low < high, got 'uniform(0.5, 0.5)'");
  EXPECT_EQ(Error({{"e", "int(1.5, 3)"}}), "space.e: expected int(low, high) with integers low <= high, got 'int(1.5, 3)'");
  EXPECT_EQ(Error({{"h", "choice(1, 1)"}}),
            "space.h: expected choice(v1, v2, ...) of distinct numbers or strings, got 'choice(1, 1)'");
  EXPECT_EQ(Error({{"d", "unifrom(0, 1)"}}),
            "space.d: unknown distribution 'unifrom', expected uniform, loguniform, int or choice, got 'unifrom(0, 1)'");
  for (const char* text : {"loguniform(-1, 1)", "loguniform(1)", "uniform(a, b)", "uniform(0, 1, 2)", "uniform(0, 1",
                           "uniform(0, inf)", "int(5, 1)", "int(1, 2e20)", "choice()", "choice(1,,2)", "choice('a)",
                           "choice(a'b)", "uniform(0, 1) x"}) {
    const std::string e = Error({{"p", text}});
    EXPECT_NE(e.find("space.p: "), std::string::npos) << e;
    EXPECT_NE(e.find(std::string("got '") + text + "'"), std::string::npos) << e;
  }
  EXPECT_NE(Error(nlohmann::json::array({1, 2})).find("space: expected a JSON object"), std::string::npos);
}

}  // namespace
}  // namespace mlops::ml
