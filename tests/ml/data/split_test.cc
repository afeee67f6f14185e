#include "data/split.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

namespace mlops::ml {
namespace {

using nlohmann::json;

// `counts[c]` rows of class c, interleaved (class of row i = i % k while
// every class still has rows left).
Dataset Classes(const std::vector<size_t>& counts) {
  Dataset d;
  d.task = Task::kClassification;
  for (size_t c = 0; c < counts.size(); ++c) d.classes.push_back("c" + std::to_string(c));
  std::vector<size_t> left = counts;
  for (bool any = true; any;) {
    any = false;
    for (size_t c = 0; c < counts.size(); ++c) {
      if (left[c] == 0) continue;
      --left[c];
      d.labels.push_back(static_cast<double>(c));
      any = true;
    }
  }
  d.rows = d.labels.size();
  d.cols = 1;
  d.features.assign(d.rows, 0.0f);
  return d;
}

Dataset Regression(size_t n) {
  Dataset d;
  d.task = Task::kRegression;
  d.rows = n;
  d.cols = 1;
  d.features.assign(n, 0.0f);
  for (size_t i = 0; i < n; ++i) d.labels.push_back(static_cast<double>(i));
  return d;
}

size_t CountClass(const Dataset& d, const std::vector<size_t>& rows, size_t c) {
  return static_cast<size_t>(std::count_if(rows.begin(), rows.end(), [&](size_t r) { return d.labels[r] == c; }));
}

// Parts are sorted, disjoint and together every row once.
void ExpectPartition(const Split& s, size_t n) {
  for (const auto* part : {&s.train, &s.validation, &s.test}) EXPECT_TRUE(std::is_sorted(part->begin(), part->end()));
  std::vector<size_t> all;
  for (const auto* part : {&s.train, &s.validation, &s.test}) all.insert(all.end(), part->begin(), part->end());
  std::sort(all.begin(), all.end());
  std::vector<size_t> expected(n);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(all, expected);
}

Split MustSplit(const Dataset& d, const SplitSpec& spec) {
  Split s;
  Status st = MakeSplit(d, spec, &s);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return s;
}

std::string SplitError(const Dataset& d, const SplitSpec& spec) {
  Split s;
  Status st = MakeSplit(d, spec, &s);
  return st.ok() ? "" : st.message();
}

std::string ParseError(const std::string& text) {
  SplitSpec spec;
  Status s = ParseSplitSpec(json::parse(text), &spec);
  return s.ok() ? "" : s.message();
}

TEST(SplitSpecTest, DefaultsAndValues) {
  SplitSpec spec;
  ASSERT_TRUE(ParseSplitSpec(json::object(), &spec).ok());
  EXPECT_EQ(spec.seed, 42u);
  EXPECT_EQ(spec.validation, 0.2);
  EXPECT_EQ(spec.test, 0.2);
  EXPECT_TRUE(spec.stratify);
  ASSERT_TRUE(ParseSplitSpec(json::parse(R"({"seed": 18446744073709551615, "validation": 0, "test": 0.5,
                                            "stratify": false})"),
                             &spec)
                  .ok());
  EXPECT_EQ(spec.seed, 18446744073709551615u);
  EXPECT_EQ(spec.validation, 0.0);
  EXPECT_EQ(spec.test, 0.5);
  EXPECT_FALSE(spec.stratify);
  SplitSpec back;
  ASSERT_TRUE(ParseSplitSpec(ToJson(spec), &back).ok());
  EXPECT_EQ(ToJson(back), ToJson(spec));
  ASSERT_TRUE(ParseSplitSpec(json(), &back).ok());
  EXPECT_EQ(back.seed, 42u);
}

TEST(SplitSpecTest, Errors) {
  EXPECT_EQ(ParseError(R"({"seeds": 1})"), "unknown key 'seeds' (allowed: seed, validation, test, stratify)");
  EXPECT_EQ(ParseError(R"({"seed": -1})"), "'seed': expected a non-negative integer, got -1");
  EXPECT_EQ(ParseError(R"({"seed": 1.5})"), "'seed': expected a non-negative integer, got 1.5");
  EXPECT_EQ(ParseError(R"({"test": "0.2"})"), "'test': expected a fraction in [0, 1), got \"0.2\"");
  EXPECT_EQ(ParseError(R"({"validation": 1})"), "'validation': 1 is out of range, expected a fraction in [0, 1)");
  EXPECT_EQ(ParseError(R"({"test": -0.1})"), "'test': -0.1 is out of range, expected a fraction in [0, 1)");
  EXPECT_EQ(ParseError(R"({"validation": 0.5, "test": 0.5})"),
            "'validation' + 'test' is 1, expected less than 1 (train takes the rest)");
  EXPECT_EQ(ParseError(R"({"stratify": 1})"), "'stratify': expected true or false, got 1");
  EXPECT_EQ(ParseError("[]"), "expected an object with seed, validation, test or stratify, got []");
}

TEST(SplitTest, SameSeedSameIndicesOtherSeedOthers) {
  const Dataset d = Classes({60, 40});
  SplitSpec spec;
  const Split a = MustSplit(d, spec);
  const Split b = MustSplit(d, spec);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.validation, b.validation);
  EXPECT_EQ(a.test, b.test);
  spec.seed = 43;
  const Split c = MustSplit(d, spec);
  EXPECT_NE(a.test, c.test);
  EXPECT_NE(a.validation, c.validation);
}

// The indices for a seed are fixed by data/rng.h on every machine; a change
// here changes every recorded split.
TEST(SplitTest, PinnedIndicesForASeed) {
  SplitSpec spec;
  spec.seed = 7;
  const Split s = MustSplit(Regression(10), spec);
  EXPECT_EQ(s.validation, (std::vector<size_t>{4, 9}));
  EXPECT_EQ(s.test, (std::vector<size_t>{0, 7}));
  const Split c = MustSplit(Classes({5, 5}), spec);
  EXPECT_EQ(c.validation, (std::vector<size_t>{5, 6}));
  EXPECT_EQ(c.test, (std::vector<size_t>{2, 9}));
}

TEST(SplitTest, StratifiedKeepsClassProportions) {
  const Dataset d = Classes({60, 30, 10});
  const Split s = MustSplit(d, SplitSpec());
  ExpectPartition(s, d.rows);
  EXPECT_EQ(s.test.size(), 20u);
  EXPECT_EQ(s.validation.size(), 20u);
  EXPECT_EQ(s.train.size(), 60u);
  for (const auto* part : {&s.validation, &s.test}) {
    EXPECT_EQ(CountClass(d, *part, 0), 12u);
    EXPECT_EQ(CountClass(d, *part, 1), 6u);
    EXPECT_EQ(CountClass(d, *part, 2), 2u);
  }
  EXPECT_EQ(CountClass(d, s.train, 2), 6u);
}

TEST(SplitTest, StratifiedRemaindersGoToTheLargestFractions) {
  const Dataset d = Classes({7, 7, 3});  // 17 rows: test 3, validation 3
  const Split s = MustSplit(d, SplitSpec());
  ExpectPartition(s, d.rows);
  EXPECT_EQ(s.test.size(), 3u);
  EXPECT_EQ(s.validation.size(), 3u);
  for (const auto* part : {&s.validation, &s.test}) {
    EXPECT_EQ(CountClass(d, *part, 0) + CountClass(d, *part, 1), 3u - CountClass(d, *part, 2));
    EXPECT_LE(CountClass(d, *part, 2), 1u);
    EXPECT_GE(CountClass(d, *part, 0), 1u);
    EXPECT_GE(CountClass(d, *part, 1), 1u);
  }
  for (size_t c = 0; c < 3; ++c) EXPECT_GE(CountClass(d, s.train, c), 1u);
}

TEST(SplitTest, SmallFractionsStillGiveNonEmptyParts) {
  const Dataset d = Classes({10, 10});
  SplitSpec spec;
  spec.validation = 0.01;
  spec.test = 0.01;
  const Split s = MustSplit(d, spec);
  ExpectPartition(s, d.rows);
  EXPECT_EQ(s.validation.size(), 1u);
  EXPECT_EQ(s.test.size(), 1u);
  spec.validation = 0;
  const Split t = MustSplit(d, spec);
  EXPECT_TRUE(t.validation.empty());
  EXPECT_EQ(t.train.size(), 19u);
}

TEST(SplitTest, EveryClassInTrain) {
  const Dataset d = Classes({3, 3, 3, 3});
  SplitSpec spec;
  spec.validation = 0.3;
  spec.test = 0.3;  // 4 + 4 of 12 rows: 4 left for train, one per class
  const Split s = MustSplit(d, spec);
  ExpectPartition(s, d.rows);
  for (size_t c = 0; c < 4; ++c) EXPECT_EQ(CountClass(d, s.train, c), 1u);
}

TEST(SplitTest, ImpossibleSplitsAreErrors) {
  EXPECT_EQ(
      SplitError(Classes({10, 2}), SplitSpec()),
      "class 'c1' has 2 rows, expected at least 3 to stratify over train, validation and test (or stratify: false)");
  SplitSpec spec;
  spec.validation = 0.4;
  spec.test = 0.4;
  EXPECT_EQ(SplitError(Classes({3, 3, 3}), spec),
            "9 rows leave 1 for train after validation 4 and test 4, expected at least 3 (one per class); lower "
            "'validation' or 'test'");
  spec.validation = 0.5;
  spec.test = 0.4;
  EXPECT_EQ(
      SplitError(Regression(2), spec),
      "2 rows leave 0 for train after validation 1 and test 1, expected at least 1; lower 'validation' or 'test'");
  EXPECT_EQ(SplitError(Regression(0), SplitSpec()), "no rows to split, expected at least one");
  Dataset bad = Classes({3, 3});
  bad.labels[4] = 5;
  EXPECT_EQ(SplitError(bad, SplitSpec()), "row 4 has label 5, expected a class index in [0, 2)");
}

TEST(SplitTest, RegressionAndUnstratifiedSizes) {
  const Dataset r = Regression(101);
  const Split s = MustSplit(r, SplitSpec());
  ExpectPartition(s, 101);
  EXPECT_EQ(s.test.size(), 20u);
  EXPECT_EQ(s.validation.size(), 20u);
  SplitSpec spec;
  spec.stratify = false;
  const Dataset d = Classes({50, 50});
  const Split u = MustSplit(d, spec);
  ExpectPartition(u, 100);
  EXPECT_EQ(u.test.size(), 20u);
}

TEST(SplitTest, UnstratifiedNeedsEveryClassInTrain) {
  SplitSpec spec;
  spec.stratify = false;
  spec.validation = 0;
  spec.test = 0.5;
  const Dataset d = Classes({1, 9});  // class 0 lands in test with some seeds
  bool failed = false;
  for (uint64_t seed = 0; seed < 20 && !failed; ++seed) {
    spec.seed = seed;
    Split s;
    Status st = MakeSplit(d, spec, &s);
    if (!st.ok()) {
      failed = true;
      EXPECT_EQ(st.message(), "class 'c0' has no row in train with seed " + std::to_string(seed) +
                                  ", expected every class in train (stratify: true)");
    } else {
      EXPECT_EQ(CountClass(d, s.train, 0), 1u);
    }
  }
  EXPECT_TRUE(failed);
}

TEST(FoldsTest, StratifiedDisjointCompleteAndDeterministic) {
  const Dataset d = Classes({30, 20, 10});
  std::vector<size_t> rows;
  for (size_t i = 0; i < d.rows; i += 1) {
    if (i % 7 != 0) rows.push_back(i);  // a subset, as after a split
  }
  std::vector<std::vector<size_t>> folds, again;
  ASSERT_TRUE(MakeFolds(d, rows, 5, 9, &folds).ok());
  ASSERT_TRUE(MakeFolds(d, rows, 5, 9, &again).ok());
  EXPECT_EQ(folds, again);
  ASSERT_EQ(folds.size(), 5u);
  std::vector<size_t> all;
  for (const auto& f : folds) {
    EXPECT_TRUE(std::is_sorted(f.begin(), f.end()));
    all.insert(all.end(), f.begin(), f.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, rows);
  for (size_t c = 0; c < 3; ++c) {
    const size_t total = CountClass(d, rows, c);
    for (const auto& f : folds) {
      EXPECT_GE(CountClass(d, f, c), total / 5);
      EXPECT_LE(CountClass(d, f, c), total / 5 + 1);
    }
  }
  for (const auto& f : folds) {
    EXPECT_GE(f.size(), rows.size() / 5);
    EXPECT_LE(f.size(), rows.size() / 5 + 1);
  }
  ASSERT_TRUE(MakeFolds(d, rows, 5, 10, &again).ok());
  EXPECT_NE(folds, again);
}

TEST(FoldsTest, RegressionFolds) {
  const Dataset r = Regression(10);
  std::vector<std::vector<size_t>> folds;
  ASSERT_TRUE(MakeFolds(r, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, 1, &folds).ok());
  ASSERT_EQ(folds.size(), 3u);
  EXPECT_EQ(folds[0].size() + folds[1].size() + folds[2].size(), 10u);
  EXPECT_EQ(folds[2].size(), 3u);
}

TEST(FoldsTest, Errors) {
  const Dataset d = Classes({5, 3});
  std::vector<std::vector<size_t>> folds;
  auto error = [&](const Dataset& data, const std::vector<size_t>& rows, int k) {
    Status s = MakeFolds(data, rows, k, 1, &folds);
    return s.ok() ? "" : s.message();
  };
  const std::vector<size_t> all = {0, 1, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(error(d, all, 1), "k is 1, expected at least 2 folds");
  EXPECT_EQ(error(d, all, 4), "class 'c1' has 3 rows, expected at least k = 4 for stratified folds");
  EXPECT_EQ(error(d, {0, 1, 8}, 2), "row 8, expected indices below 8");
  EXPECT_EQ(error(d, {0, 1, 1}, 2), "row 1 is given twice, expected distinct rows");
  EXPECT_EQ(error(Regression(3), {0, 1, 2}, 4), "3 rows, expected at least k = 4");
  EXPECT_EQ(error(d, all, 3), "");
}

}  // namespace
}  // namespace mlops::ml
