// The reference profile: values on a small CSV, missing values, the
// determinism of its bytes, and its errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "data/data_spec.h"
#include "drift/reference_profile.h"
#include "mlops/common/files.h"
#include "temp_dir.h"

namespace mlops::ml::drift {
namespace {

using mlops::testing::TempDir;

DataSpec Spec(const std::string& path) {
  DataSpec spec;
  spec.path = path;
  spec.label = "y";
  spec.columns["b"].allow_missing = true;
  return spec;
}

const char* kCsv =
    "a,b,y\n"
    "1,10,yes\n"
    "2,,no\n"
    "3,30,yes\n"
    "4,40,yes\n"
    "5,,no\n";

TEST(ReferenceProfile, ValuesOfASmallCsv) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.Join("d.csv"), kCsv).ok());
  ReferenceProfile p;
  ASSERT_TRUE(ProfileCsv(Spec(dir.Join("d.csv")), 4, &p).ok());
  EXPECT_EQ(p.rows, 5u);
  ASSERT_EQ(p.features.size(), 2u);
  const NumericProfile& a = p.features[0].numeric;
  EXPECT_EQ(p.features[0].name, "a");
  EXPECT_EQ(a.count, 5u);
  EXPECT_EQ(a.missing, 0u);
  EXPECT_EQ(*a.min, 1);
  EXPECT_EQ(*a.max, 5);
  EXPECT_EQ(*a.mean, 3);
  EXPECT_DOUBLE_EQ(*a.std, std::sqrt(2.0));
  EXPECT_EQ(a.edges, (std::vector<double>{2, 3, 4}));
  EXPECT_EQ(a.counts, (std::vector<uint64_t>{2, 1, 1, 1}));
  EXPECT_EQ(a.sample, (std::vector<double>{1, 2, 3, 4, 5}));  // fewer than the bound: all
  const NumericProfile& b = p.features[1].numeric;
  EXPECT_EQ(b.count, 3u);
  EXPECT_EQ(b.missing, 2u);
  EXPECT_EQ(*b.mean, 80.0 / 3);
  EXPECT_EQ(p.label, "y");
  EXPECT_EQ(p.label_frequencies, (std::map<std::string, uint64_t>{{"no", 2}, {"yes", 3}}));
  const nlohmann::json j = ToJson(p);
  EXPECT_EQ(j["format"], kReferenceProfileFormat);
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["features"][1]["missing"], 2);
  EXPECT_EQ(j["label"]["frequencies"]["yes"], 3);
}

TEST(ReferenceProfile, SameRowsGiveTheSameBytesWhereverTheFileLies) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.Join("d.csv"), kCsv).ok());
  ASSERT_TRUE(MakeDirs(dir.Join("elsewhere")).ok());
  ASSERT_TRUE(WriteFileAtomic(dir.Join("elsewhere/copy.csv"), kCsv).ok());
  ReferenceProfile first, second, copy;
  ASSERT_TRUE(ProfileCsv(Spec(dir.Join("d.csv")), 10, &first).ok());
  ASSERT_TRUE(ProfileCsv(Spec(dir.Join("d.csv")), 10, &second).ok());
  ASSERT_TRUE(ProfileCsv(Spec(dir.Join("elsewhere/copy.csv")), 10, &copy).ok());
  EXPECT_EQ(Serialize(first), Serialize(second));
  EXPECT_EQ(Serialize(first), Serialize(copy));
  EXPECT_EQ(Serialize(first).back(), '\n');
}

TEST(ReferenceProfile, ParsesBackWhatItWrites) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.Join("d.csv"), kCsv).ok());
  ReferenceProfile p, back;
  ASSERT_TRUE(ProfileCsv(Spec(dir.Join("d.csv")), 4, &p).ok());
  const Status st = ParseReferenceProfile(nlohmann::json::parse(Serialize(p)), &back);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(back == p);
  EXPECT_EQ(Serialize(back), Serialize(p));
}

TEST(ReferenceProfile, ParseErrorsNameTheKey) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.Join("d.csv"), kCsv).ok());
  ReferenceProfile p;
  ASSERT_TRUE(ProfileCsv(Spec(dir.Join("d.csv")), 4, &p).ok());
  const nlohmann::json good = ToJson(p);
  struct Case {
    std::string pointer;
    nlohmann::json value;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"/version", 2, "version: expected 1, got 2"},
      {"/format", "other", "format: expected \"mlopsd.reference_profile\""},
      {"/rows", -1, "rows: expected a count"},
      {"/features/1/bins/counts", {1, 2, 3, 4, 5, 6}, "features[1].bins.counts: expected"},
      {"/features/0/bins/edges", {3, 2, 4}, "features[0].bins.edges: expected increasing numbers"},
      {"/features/0/mean", "x", "features[0].mean: expected a number or null"},
      {"/label/type", "text", "label.type: expected"},
      {"/features/0/sample", {3, 1}, "features[0].sample: expected ascending numbers"},
  };
  for (const Case& c : cases) {
    nlohmann::json j = good;
    j[nlohmann::json::json_pointer(c.pointer)] = c.value;
    ReferenceProfile out;
    const Status st = ParseReferenceProfile(j, &out);
    ASSERT_FALSE(st.ok()) << c.pointer;
    EXPECT_NE(st.message().find(c.message), std::string::npos) << st.ToString();
  }
}

// The sample KS and Wasserstein compare with is bounded, uniform over the
// rows, sorted, and the same for the same rows.
TEST(ReferenceProfile, SampleIsBoundedAndDeterministic) {
  Dataset data;
  data.source = "generated";
  data.rows = 20000;
  data.cols = 1;
  data.feature_names = {"x"};
  data.task = Task::kRegression;
  for (size_t i = 0; i < data.rows; ++i) {
    data.features.push_back(static_cast<float>(i));
    data.labels.push_back(0);
  }
  ReferenceProfile a, b;
  ASSERT_TRUE(ProfileDataset(data, {}, 10, &a).ok());
  ASSERT_TRUE(ProfileDataset(data, {}, 10, &b).ok());
  const std::vector<double>& sample = a.features[0].numeric.sample;
  ASSERT_EQ(sample.size(), kDefaultKsSample);
  EXPECT_TRUE(std::is_sorted(sample.begin(), sample.end()));
  EXPECT_GT(sample.back(), 15000);  // not the first 5,000 rows
  EXPECT_EQ(Serialize(a), Serialize(b));
}

TEST(ReferenceProfile, AllMissingColumnHasNoStatistics) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.Join("d.csv"), "a,b,y\n1,,yes\n2,,no\n").ok());
  ReferenceProfile p;
  ASSERT_TRUE(ProfileCsv(Spec(dir.Join("d.csv")), 10, &p).ok());
  EXPECT_EQ(p.features[1].numeric.count, 0u);
  EXPECT_EQ(p.features[1].numeric.missing, 2u);
  EXPECT_FALSE(p.features[1].numeric.mean.has_value());
  EXPECT_TRUE(ToJson(p)["features"][1]["mean"].is_null());
}

TEST(ReferenceProfile, ErrorsNameTheProblem) {
  TempDir dir;
  ReferenceProfile p;
  const Status missing = ProfileCsv(Spec(dir.Join("none.csv")), 10, &p);
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("none.csv"), std::string::npos) << missing.ToString();
  ASSERT_TRUE(WriteFileAtomic(dir.Join("d.csv"), kCsv).ok());
  EXPECT_FALSE(ProfileCsv(Spec(dir.Join("d.csv")), 1, &p).ok());
  Dataset empty;
  EXPECT_FALSE(ProfileDataset(empty, {}, 10, &p).ok());
}

}  // namespace
}  // namespace mlops::ml::drift
