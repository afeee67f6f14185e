// The data sets Debian's python3-sklearn ships, read as docs/ml/data.md
// shows. Skipped where the package is not installed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "data/csv_loader.h"
#include "data/split.h"
#include "mlops/common/files.h"

namespace mlops::ml {
namespace {

const std::string kDir = "/usr/lib/python3/dist-packages/sklearn/datasets/data";

class SklearnFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PathExists(kDir + "/iris.csv")) GTEST_SKIP() << "python3-sklearn is not installed";
  }
  Dataset Load(const std::string& json_text) {
    DataSpec spec;
    Status s = ParseDataSpec(nlohmann::json::parse(json_text), kDir, &spec);
    EXPECT_TRUE(s.ok()) << s.ToString();
    Dataset d;
    s = LoadDataset(spec, &d);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return d;
  }
};

size_t Count(const Dataset& d, double label) {
  size_t n = 0;
  for (double y : d.labels) n += y == label;
  return n;
}

TEST_F(SklearnFilesTest, BreastCancer) {
  Dataset d = Load(R"({"path": "breast_cancer.csv", "format": "sklearn"})");
  EXPECT_EQ(d.rows, 569u);
  EXPECT_EQ(d.cols, 30u);
  EXPECT_EQ(d.classes, (std::vector<std::string>{"malignant", "benign"}));
  EXPECT_EQ(d.feature_names.front(), "col1");
  EXPECT_EQ(d.label_name, "target");
  EXPECT_EQ(d.row(0)[0], 17.99f);
  EXPECT_EQ(d.row(0)[29], 0.1189f);
  EXPECT_EQ(d.labels.front(), 0);
  EXPECT_EQ(d.row(568)[0], 7.76f);
  EXPECT_EQ(d.row(568)[29], 0.07039f);
  EXPECT_EQ(d.labels.back(), 1);
  EXPECT_EQ(Count(d, 0), 212u);
  EXPECT_EQ(Count(d, 1), 357u);
}

TEST_F(SklearnFilesTest, Iris) {
  Dataset d = Load(R"({"path": "iris.csv", "format": "sklearn"})");
  EXPECT_EQ(d.rows, 150u);
  EXPECT_EQ(d.cols, 4u);
  EXPECT_EQ(d.classes, (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
  EXPECT_EQ(std::vector<float>(d.row(0), d.row(0) + 4), (std::vector<float>{5.1f, 3.5f, 1.4f, 0.2f}));
  EXPECT_EQ(std::vector<float>(d.row(149), d.row(149) + 4), (std::vector<float>{5.9f, 3.0f, 5.1f, 1.8f}));
  EXPECT_EQ(d.labels.front(), 0);
  EXPECT_EQ(d.labels.back(), 2);
  EXPECT_EQ(Count(d, 1), 50u);
}

TEST_F(SklearnFilesTest, Wine) {
  Dataset d = Load(R"({"path": "wine_data.csv", "format": "sklearn"})");
  EXPECT_EQ(d.rows, 178u);
  EXPECT_EQ(d.cols, 13u);
  EXPECT_EQ(d.classes, (std::vector<std::string>{"class_0", "class_1", "class_2"}));
  EXPECT_EQ(d.row(0)[0], 14.23f);
  EXPECT_EQ(d.row(0)[12], 1065.0f);
  EXPECT_EQ(d.row(177)[12], 560.0f);
  EXPECT_EQ(d.labels.front(), 0);
  EXPECT_EQ(d.labels.back(), 2);
  EXPECT_EQ(Count(d, 0), 59u);
  EXPECT_EQ(Count(d, 1), 71u);
  EXPECT_EQ(Count(d, 2), 48u);
}

TEST_F(SklearnFilesTest, Digits) {
  Dataset d = Load(R"({"path": "digits.csv.gz", "header": false})");
  EXPECT_EQ(d.rows, 1797u);
  EXPECT_EQ(d.cols, 64u);
  EXPECT_EQ(d.feature_names.back(), "col64");
  EXPECT_EQ(d.label_name, "col65");
  EXPECT_EQ(d.classes, (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}));
  EXPECT_EQ(d.row(0)[2], 5.0f);
  EXPECT_EQ(d.row(0)[3], 13.0f);
  EXPECT_EQ(d.row(1796)[2], 10.0f);
  EXPECT_EQ(d.row(1796)[63], 0.0f);
  EXPECT_EQ(d.labels.front(), 0);
  EXPECT_EQ(d.labels.back(), 8);
  EXPECT_EQ(Count(d, 3), 183u);
  EXPECT_EQ(Count(d, 8), 174u);
}

TEST_F(SklearnFilesTest, DiabetesWithItsTargetFile) {
  Dataset d = Load(R"({"path": "diabetes_data_raw.csv.gz", "label_path": "diabetes_target.csv.gz",
                       "header": false, "delimiter": "whitespace", "task": "regression"})");
  EXPECT_EQ(d.rows, 442u);
  EXPECT_EQ(d.cols, 10u);
  EXPECT_EQ(d.task, Task::kRegression);
  EXPECT_TRUE(d.classes.empty());
  EXPECT_EQ(d.label_name, "target");
  EXPECT_EQ(std::vector<float>(d.row(0), d.row(0) + 10),
            (std::vector<float>{59, 2, 32.1f, 101, 157, 93.2f, 38, 4, 4.8598f, 87}));
  EXPECT_EQ(d.row(441)[9], 92.0f);
  EXPECT_EQ(d.labels.front(), 151.0);
  EXPECT_EQ(d.labels.back(), 57.0);
}

// The split the example pipelines use works on every file.
TEST_F(SklearnFilesTest, EveryFileSplits) {
  const char* specs[] = {
      R"({"path": "breast_cancer.csv", "format": "sklearn"})", R"({"path": "iris.csv", "format": "sklearn"})",
      R"({"path": "wine_data.csv", "format": "sklearn"})", R"({"path": "digits.csv.gz", "header": false})",
      R"({"path": "diabetes_data_raw.csv.gz", "label_path": "diabetes_target.csv.gz", "header": false,
          "delimiter": "whitespace", "task": "regression"})"};
  SplitSpec split_spec;
  split_spec.seed = 7;
  for (const char* spec : specs) {
    const Dataset d = Load(spec);
    Split s;
    ASSERT_TRUE(MakeSplit(d, split_spec, &s).ok()) << spec;
    EXPECT_EQ(s.train.size() + s.validation.size() + s.test.size(), d.rows) << spec;
    EXPECT_NEAR(static_cast<double>(s.test.size()), 0.2 * d.rows, 1.0) << spec;
  }
}

}  // namespace
}  // namespace mlops::ml
