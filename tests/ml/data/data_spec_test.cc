#include "data/data_spec.h"

#include <gtest/gtest.h>

namespace mlops::ml {
namespace {

using nlohmann::json;

std::string ParseError(const std::string& text) {
  DataSpec spec;
  Status s = ParseDataSpec(json::parse(text), "/base", &spec);
  return s.ok() ? "" : s.message();
}

TEST(DataSpecTest, DefaultsAndRelativePaths) {
  DataSpec spec;
  ASSERT_TRUE(ParseDataSpec(json::parse(R"({"path": "d/x.csv", "label_path": "y.csv.gz"})"), "/base", &spec).ok());
  EXPECT_EQ(spec.path, "/base/d/x.csv");
  EXPECT_EQ(spec.label_path, "/base/y.csv.gz");
  EXPECT_EQ(spec.format, "csv");
  EXPECT_TRUE(spec.header);
  EXPECT_EQ(spec.delimiter, ",");
  EXPECT_EQ(spec.task, Task::kClassification);
  EXPECT_TRUE(spec.classes.empty());
}

TEST(DataSpecTest, AbsolutePathIsKept) {
  DataSpec spec;
  ASSERT_TRUE(ParseDataSpec(json::parse(R"({"path": "/abs/x.csv"})"), "/base", &spec).ok());
  EXPECT_EQ(spec.path, "/abs/x.csv");
}

TEST(DataSpecTest, EveryKey) {
  DataSpec spec;
  const json j = json::parse(R"({"path": "x.csv", "format": "csv", "header": false, "delimiter": "\t",
      "label": "col3", "task": "classification", "classes": ["a", 1], "drop": ["col1"],
      "columns": {"col2": {"min": -1, "max": 2.5, "allow_missing": true}}})");
  ASSERT_TRUE(ParseDataSpec(j, "", &spec).ok());
  EXPECT_EQ(spec.path, "x.csv");
  EXPECT_FALSE(spec.header);
  EXPECT_EQ(spec.delimiter, "\t");
  EXPECT_EQ(spec.label, "col3");
  EXPECT_EQ(spec.classes, (std::vector<std::string>{"a", "1"}));
  EXPECT_EQ(spec.drop, (std::vector<std::string>{"col1"}));
  ASSERT_EQ(spec.columns.count("col2"), 1u);
  EXPECT_EQ(*spec.columns["col2"].min, -1);
  EXPECT_EQ(*spec.columns["col2"].max, 2.5);
  EXPECT_TRUE(spec.columns["col2"].allow_missing);
}

TEST(DataSpecTest, ToJsonRoundTrips) {
  DataSpec spec;
  ASSERT_TRUE(ParseDataSpec(json::parse(R"({"path": "/x.csv", "label_path": "/y.csv", "header": false,
      "delimiter": "whitespace", "task": "regression", "drop": ["col1"],
      "columns": {"col2": {"max": 3}}})"),
                            "", &spec)
                  .ok());
  DataSpec back;
  ASSERT_TRUE(ParseDataSpec(ToJson(spec), "", &back).ok()) << ToJson(spec).dump();
  EXPECT_EQ(ToJson(back), ToJson(spec));
  EXPECT_EQ(back.task, Task::kRegression);
  EXPECT_FALSE(back.columns["col2"].min.has_value());
  EXPECT_EQ(*back.columns["col2"].max, 3);
}

TEST(DataSpecTest, UnknownKeyNamesItAndTheAllowedKeys) {
  EXPECT_EQ(
      ParseError(R"({"path": "x", "sep": ","})"),
      "unknown key 'sep' (allowed: path, label_path, format, header, delimiter, label, task, classes, columns, drop)");
  EXPECT_EQ(ParseError(R"({"path": "x", "columns": {"a": {"minimum": 1}}})"),
            "unknown key 'minimum' in 'columns.a' (allowed: min, max, allow_missing)");
}

TEST(DataSpecTest, WrongTypesNameTheKey) {
  EXPECT_EQ(ParseError("[1]"), "expected an object with at least 'path', got [1]");
  EXPECT_EQ(ParseError(R"({"format": "csv"})"), "'path' is required (the .csv or .csv.gz file)");
  EXPECT_EQ(ParseError(R"({"path": 3})"), "'path': expected a string, got 3");
  EXPECT_EQ(ParseError(R"({"path": ""})"), "'path' is empty, expected a .csv or .csv.gz file");
  EXPECT_EQ(ParseError(R"({"path": "x", "header": "yes"})"), "'header': expected true or false, got \"yes\"");
  EXPECT_EQ(ParseError(R"({"path": "x", "classes": "a,b"})"), "'classes': expected a list of names, got \"a,b\"");
  EXPECT_EQ(ParseError(R"({"path": "x", "classes": ["a", 1.5]})"), "'classes[1]': expected a name (string), got 1.5");
  EXPECT_EQ(ParseError(R"({"path": "x", "drop": ["a", "a"]})"), "'drop': 'a' is listed twice, expected distinct names");
  EXPECT_EQ(ParseError(R"({"path": "x", "columns": []})"),
            "'columns': expected a map of column name to {min, max, allow_missing}, got []");
  EXPECT_EQ(ParseError(R"({"path": "x", "columns": {"a": {"min": "0"}}})"),
            "'columns.a.min': expected a number, got \"0\"");
  EXPECT_EQ(ParseError(R"({"path": "x", "columns": {"a": {"allow_missing": 1}}})"),
            "'columns.a.allow_missing': expected true or false, got 1");
}

TEST(DataSpecTest, BadValuesNameTheKeyAndWhatIsExpected) {
  EXPECT_EQ(ParseError(R"({"path": "x", "format": "parquet"})"),
            "'format': 'parquet' is not a format, expected 'csv' or 'sklearn'");
  EXPECT_EQ(ParseError(R"({"path": "x", "delimiter": "|"})"),
            "'delimiter': \"|\" is not supported, expected \",\", \";\", \"\\t\" or \"whitespace\"");
  EXPECT_EQ(ParseError(R"({"path": "x", "task": "ranking"})"),
            "'task': 'ranking' is not a task, expected 'classification' or 'regression'");
  EXPECT_EQ(ParseError(R"({"path": "x", "columns": {"a": {"min": 2, "max": 1}}})"),
            "'columns.a': min 2 is above max 1, expected min <= max");
  EXPECT_EQ(ParseError(R"({"path": "x", "task": "regression", "classes": ["a"]})"),
            "'classes' is for classification, expected no 'classes' with task regression");
  EXPECT_EQ(ParseError(R"({"path": "x", "label_path": "y", "label": "t"})"),
            "'label' names a column of 'path', expected no 'label' with 'label_path'");
  EXPECT_EQ(ParseError(R"({"path": "x", "format": "sklearn", "task": "regression"})"),
            "'format': sklearn names classes in its first line, expected task classification");
  EXPECT_EQ(ParseError(R"({"path": "x", "format": "sklearn", "label": "y"})"),
            "'format': sklearn has the label last, expected no 'label' or 'label_path'");
  EXPECT_EQ(ParseError(R"({"path": "x", "drop": ["a"], "columns": {"a": {}}})"),
            "'drop' and 'columns' both name 'a', expected one or the other");
}

TEST(TaskTest, NamesRoundTrip) {
  Task t = Task::kClassification;
  EXPECT_TRUE(ParseTask(ToString(Task::kRegression), &t));
  EXPECT_EQ(t, Task::kRegression);
  EXPECT_STREQ(ToString(Task::kClassification), "classification");
  EXPECT_FALSE(ParseTask("Regression", &t));
  EXPECT_EQ(t, Task::kRegression);
}

}  // namespace
}  // namespace mlops::ml
