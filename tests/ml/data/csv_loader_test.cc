#include "data/csv_loader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>

#include "data_fixture.h"
#include "unprivileged_child.h"

namespace mlops::ml {
namespace {

using testing::DataTest;

class CsvLoaderTest : public DataTest {};

TEST_F(CsvLoaderTest, HeaderNamesColumnsAndLabelIsLast) {
  Write("d.csv", "a,b,y\n1,2.5,cat\n-3,4e1,dog\n");
  Dataset d;
  ASSERT_TRUE(Load(R"({"path": "d.csv"})", &d).ok());
  EXPECT_EQ(d.source, P("d.csv"));
  EXPECT_EQ(d.rows, 2u);
  EXPECT_EQ(d.cols, 2u);
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(d.label_name, "y");
  EXPECT_EQ(d.classes, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(d.features, (std::vector<float>{1, 2.5f, -3, 40}));
  EXPECT_EQ(d.labels, (std::vector<double>{0, 1}));
}

TEST_F(CsvLoaderTest, LabelByNameAndDroppedColumns) {
  Write("d.csv", "id,y,a,note\n7,1,0.5,free text\n8,0,1.5,more\n");
  Dataset d;
  ASSERT_TRUE(Load(R"({"path": "d.csv", "label": "y", "drop": ["id", "note"]})", &d).ok());
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"a"}));
  EXPECT_EQ(d.label_name, "y");
  EXPECT_EQ(d.features, (std::vector<float>{0.5f, 1.5f}));
  EXPECT_EQ(d.classes, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(d.labels, (std::vector<double>{1, 0}));
}

TEST_F(CsvLoaderTest, NumericLabelsSortNumerically) {
  Write("d.csv", "x,y\n1,10\n2,2\n3,1.0\n4,1\n");
  Dataset d;
  ASSERT_TRUE(Load(R"({"path": "d.csv"})", &d).ok());
  EXPECT_EQ(d.classes, (std::vector<std::string>{"1", "2", "10"}));
  EXPECT_EQ(d.labels, (std::vector<double>{2, 1, 0, 0}));
}

TEST_F(CsvLoaderTest, TextLabelsSortLexically) {
  Write("d.csv", "x,y\n1,b\n2,10\n3,a\n");
  Dataset d;
  ASSERT_TRUE(Load(R"({"path": "d.csv"})", &d).ok());
  EXPECT_EQ(d.classes, (std::vector<std::string>{"10", "a", "b"}));
  EXPECT_EQ(d.labels, (std::vector<double>{2, 0, 1}));
}

TEST_F(CsvLoaderTest, DeclaredClassesKeepTheirOrder) {
  Write("d.csv", "x,y\n1,no\n2,yes\n3,no\n");
  Dataset d;
  ASSERT_TRUE(Load(R"({"path": "d.csv", "classes": ["yes", "no", "maybe"]})", &d).ok());
  EXPECT_EQ(d.classes, (std::vector<std::string>{"yes", "no", "maybe"}));
  EXPECT_EQ(d.labels, (std::vector<double>{1, 0, 1}));
}

TEST_F(CsvLoaderTest, QuotedFieldsFollowRfc4180) {
  Write("d.csv",
        "\"size, cm\",\"say \"\"hi\"\"\",label\r\n"
        "\"1.5\", 2 ,\"a, b\"\r\n"
        "3,4,\"two\nlines\"\r\n"
        "5,6,\"\"\"q\"\"\"\r\n");
  Dataset d;
  Status s = Load(R"({"path": "d.csv"})", &d);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"size, cm", "say \"hi\""}));
  EXPECT_EQ(d.classes, (std::vector<std::string>{"\"q\"", "a, b", "two\nlines"}));
  EXPECT_EQ(d.labels, (std::vector<double>{1, 2, 0}));
  EXPECT_EQ(d.features, (std::vector<float>{1.5f, 2, 3, 4, 5, 6}));
}

TEST_F(CsvLoaderTest, Delimiters) {
  Write("semi.csv", "a;b\n1;x\n2;y\n");
  Write("tab.tsv", "a\tb\n1\tx\n\t y\n");
  Write("ws.txt", "  1   2\tx\n\n3 4 y  \n");
  Dataset d;
  ASSERT_TRUE(Load(R"({"path": "semi.csv", "delimiter": ";"})", &d).ok());
  EXPECT_EQ(d.features, (std::vector<float>{1, 2}));
  EXPECT_EQ(LoadError(R"({"path": "tab.tsv", "delimiter": "\t"})"),
            P("tab.tsv") + ":3:1: missing value '' in column 'a', expected a number (or allow_missing for the column)");
  ASSERT_TRUE(Load(R"({"path": "ws.txt", "delimiter": "whitespace", "header": false})", &d).ok());
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"col1", "col2"}));
  EXPECT_EQ(d.label_name, "col3");
  EXPECT_EQ(d.features, (std::vector<float>{1, 2, 3, 4}));
}

TEST_F(CsvLoaderTest, GzipAndPlainReadTheSame) {
  WriteGzip("d.csv.gz", "a,y\n1,0\n2,1\n");
  Dataset d;
  ASSERT_TRUE(Load(R"({"path": "d.csv.gz"})", &d).ok());
  EXPECT_EQ(d.rows, 2u);
  EXPECT_EQ(d.features, (std::vector<float>{1, 2}));
}

TEST_F(CsvLoaderTest, LongLinesSpanReadBuffers) {
  std::string header, row;
  for (int c = 0; c < 20000; ++c) {
    header += "c" + std::to_string(c) + ",";
    row += std::to_string(c % 7) + ",";
  }
  WriteGzip("wide.csv.gz", header + "y\n" + row + "0\n" + row + "1\n");
  Dataset d;
  ASSERT_TRUE(Load(R"({"path": "wide.csv.gz"})", &d).ok());
  EXPECT_EQ(d.cols, 20000u);
  EXPECT_EQ(d.rows, 2u);
  EXPECT_EQ(d.features[20000 + 19999], 19999 % 7);
}

TEST_F(CsvLoaderTest, AllowMissingStoresNaNAndImputeUsesTheFitRows) {
  Write("d.csv", "a,b,y\n1,NA,0\n3,10,1\nnan,,0\n5,30,1\n");
  Dataset d;
  ASSERT_TRUE(
      Load(R"({"path": "d.csv", "columns": {"a": {"allow_missing": true}, "b": {"allow_missing": true}}})", &d).ok());
  EXPECT_TRUE(std::isnan(d.row(0)[1]));
  EXPECT_TRUE(std::isnan(d.row(2)[0]));
  EXPECT_TRUE(HasMissing(d));
  ImputeMissing(&d, {0, 1, 2});  // row 3 is not fitted on
  EXPECT_FALSE(HasMissing(d));
  EXPECT_EQ(d.row(0)[1], 10);  // mean of b over rows 0..2: only 10
  EXPECT_EQ(d.row(2)[0], 2);   // mean of a over rows 0..2: (1 + 3) / 2
  EXPECT_EQ(d.row(2)[1], 10);
  EXPECT_EQ(d.row(3)[0], 5);
}

TEST_F(CsvLoaderTest, ImputeWithoutValuesFillsZero) {
  Dataset d;
  d.rows = 2;
  d.cols = 1;
  d.features = {NAN, 4};
  EXPECT_EQ(ColumnMeans(d, {0}), std::vector<float>{0});
  ImputeMissing(&d, {0});
  EXPECT_EQ(d.features, (std::vector<float>{0, 4}));
}

TEST_F(CsvLoaderTest, RegressionLabelsAndRanges) {
  Write("d.csv", "x,y\n1,2.5\n2,-1e3\n");
  Dataset d;
  ASSERT_TRUE(Load(R"({"path": "d.csv", "task": "regression"})", &d).ok());
  EXPECT_TRUE(d.classes.empty());
  EXPECT_EQ(d.labels, (std::vector<double>{2.5, -1000}));
  EXPECT_EQ(LoadError(R"({"path": "d.csv", "task": "regression", "columns": {"y": {"min": 0}}})"),
            P("d.csv") + ":3:2: value -1e3 in column 'y' is out of range, expected >= 0");
}

TEST_F(CsvLoaderTest, LabelFileWithHeaderNamesTheLabel) {
  Write("x.csv", "a,b\n1,2\n3,4\n");
  Write("y.csv", "price\n10\n20\n");
  Dataset d;
  ASSERT_TRUE(Load(R"({"path": "x.csv", "label_path": "y.csv", "task": "regression"})", &d).ok());
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(d.label_name, "price");
  EXPECT_EQ(d.labels, (std::vector<double>{10, 20}));
}

// Every error: the file, 1-based line and column, what, and what was expected.

TEST_F(CsvLoaderTest, BadNumber) {
  Write("d.csv", "a,b,y\n1,2,0\n3,x1,1\n");
  EXPECT_EQ(LoadError(R"({"path": "d.csv"})"),
            P("d.csv") + ":3:2: 'x1' in column 'b' is not a number, expected a decimal number");
  Write("h.csv", "1 2 0\n3 4.5.6 1\n");
  EXPECT_EQ(LoadError(R"({"path": "h.csv", "header": false, "delimiter": "whitespace"})"),
            P("h.csv") + ":2:2: '4.5.6' is not a number, expected a decimal number");
}

TEST_F(CsvLoaderTest, NonFiniteAndFloatOverflow) {
  Write("d.csv", "a,y\n1,0\ninf,1\n");
  EXPECT_EQ(LoadError(R"({"path": "d.csv"})"),
            P("d.csv") + ":3:1: value 'inf' in column 'a', expected a finite number");
  Write("e.csv", "a,y\n1e39,0\n");
  EXPECT_EQ(LoadError(R"({"path": "e.csv"})"),
            P("e.csv") + ":2:1: value '1e39' in column 'a' does not fit a float, expected |x| <= 3.4e38");
}

TEST_F(CsvLoaderTest, WrongColumnCount) {
  Write("few.csv", "a,b,y\n1,2,0\n3,4\n");
  EXPECT_EQ(LoadError(R"({"path": "few.csv"})"), P("few.csv") + ":3:3: 2 fields, expected 3 (as in the header)");
  Write("many.csv", "1,2,0\n\n3,4,1,5\n");
  EXPECT_EQ(LoadError(R"({"path": "many.csv", "header": false})"),
            P("many.csv") + ":3:4: 4 fields, expected 3 (as in the first row)");
}

TEST_F(CsvLoaderTest, MissingWhereNotAllowed) {
  Write("d.csv", "a,b,y\n1,2,0\n3,NaN,1\n");
  EXPECT_EQ(
      LoadError(R"({"path": "d.csv"})"),
      P("d.csv") + ":3:2: missing value 'NaN' in column 'b', expected a number (or allow_missing for the column)");
  Write("l.csv", "a,y\n1,0\n2,NA\n");
  EXPECT_EQ(LoadError(R"({"path": "l.csv"})"), P("l.csv") + ":3:2: missing label in column 'y', expected a class name");
  EXPECT_EQ(LoadError(R"({"path": "l.csv", "task": "regression"})"),
            P("l.csv") + ":3:2: missing label in column 'y', expected a number");
}

TEST_F(CsvLoaderTest, ValueOutOfRange) {
  Write("d.csv", "a,b,y\n1,2,0\n12,4,1\n");
  EXPECT_EQ(LoadError(R"({"path": "d.csv", "columns": {"a": {"min": 0, "max": 10}}})"),
            P("d.csv") + ":3:1: value 12 in column 'a' is out of range, expected [0, 10]");
  EXPECT_EQ(LoadError(R"({"path": "d.csv", "columns": {"b": {"max": 3.5}}})"),
            P("d.csv") + ":3:2: value 4 in column 'b' is out of range, expected <= 3.5");
}

TEST_F(CsvLoaderTest, EmptyFile) {
  Write("empty.csv", "");
  EXPECT_EQ(LoadError(R"({"path": "empty.csv"})"), P("empty.csv") + ":1:1: no data rows, expected at least one");
  Write("header.csv", "a,y\n\n");
  EXPECT_EQ(LoadError(R"({"path": "header.csv"})"), P("header.csv") + ":3:1: no data rows, expected at least one");
}

TEST_F(CsvLoaderTest, UnknownLabel) {
  Write("d.csv", "a,y\n1,yes\n2,perhaps\n");
  EXPECT_EQ(LoadError(R"({"path": "d.csv", "classes": ["no", "yes"]})"),
            P("d.csv") + ":3:2: unknown label 'perhaps' in column 'y', expected one of the classes no, yes");
}

TEST_F(CsvLoaderTest, OneClassOnlyWhenNotDeclared) {
  Write("d.csv", "a,y\n1,yes\n2,yes\n");
  EXPECT_EQ(
      LoadError(R"({"path": "d.csv"})"),
      P("d.csv") + ":2:2: every label is 'yes', expected at least 2 classes (declare 'classes' for a file with one)");
}

TEST_F(CsvLoaderTest, ColumnNamesThatAreNotInTheFile) {
  Write("d.csv", "a,b,y\n1,2,0\n");
  EXPECT_EQ(LoadError(R"({"path": "d.csv", "label": "target"})"),
            P("d.csv") + ":1:1: 'label' names 'target', which is not a column; expected one of: a, b, y");
  EXPECT_EQ(LoadError(R"({"path": "d.csv", "drop": ["c"]})"),
            P("d.csv") + ":1:1: 'drop' names 'c', which is not a column; expected one of: a, b, y");
  EXPECT_EQ(LoadError(R"({"path": "d.csv", "columns": {"c": {}}})"),
            P("d.csv") + ":1:1: 'columns' names 'c', which is not a column; expected one of: a, b, y");
  EXPECT_EQ(LoadError(R"({"path": "d.csv", "drop": ["y"]})"),
            P("d.csv") + ":1:3: 'drop' names the label column 'y', expected feature columns only");
  EXPECT_EQ(LoadError(R"({"path": "d.csv", "columns": {"y": {"min": 0}}})"),
            P("d.csv") +
                ":1:3: 'columns' gives a rule for the label column 'y', expected feature columns (or min/max for a "
                "regression label)");
  EXPECT_EQ(LoadError(R"({"path": "d.csv", "drop": ["a", "b"]})"),
            P("d.csv") + ":1:1: no feature column left, expected at least one");
  Write("n.csv", "1,2,0\n");
  EXPECT_EQ(LoadError(R"({"path": "n.csv", "header": false, "label": "y"})"),
            P("n.csv") + ":1:1: 'label' names 'y', which is not a column; expected one of: col1, col2, col3");
  Write("one.csv", "y\n0\n");
  EXPECT_EQ(LoadError(R"({"path": "one.csv"})"),
            P("one.csv") + ":1:1: 1 column, expected at least 2 (features and the label)");
}

TEST_F(CsvLoaderTest, DuplicateHeaderName) {
  Write("d.csv", "a,b,a,y\n1,2,3,0\n");
  EXPECT_EQ(LoadError(R"({"path": "d.csv"})"),
            P("d.csv") + ":1:3: column name 'a' appears twice, expected distinct names");
}

TEST_F(CsvLoaderTest, BrokenQuotes) {
  Write("open.csv", "a,y\n1,0\n2,\"never\nclosed\n");
  EXPECT_EQ(LoadError(R"({"path": "open.csv"})"),
            P("open.csv") + ":3:2: quoted field has no closing quote, expected '\"' before the end of the file");
  Write("after.csv", "a,y\n\"1\"x,0\n");
  EXPECT_EQ(LoadError(R"({"path": "after.csv"})"),
            P("after.csv") + ":2:1: text after the closing quote, expected ',' or the end of the line");
}

TEST_F(CsvLoaderTest, ErrorsInsideAMultiLineRecordNameTheFieldsLine) {
  Write("d.csv", "a,note,b,y\n1,\"x\ny\",zz,0\n");
  EXPECT_EQ(LoadError(R"({"path": "d.csv", "drop": ["note"]})"),
            P("d.csv") + ":3:3: 'zz' in column 'b' is not a number, expected a decimal number");
}

TEST_F(CsvLoaderTest, SklearnHeaderChecks) {
  Write("rows.csv", "3,2,a,b\n1,2,0\n3,4,1\n");
  EXPECT_EQ(LoadError(R"({"path": "rows.csv", "format": "sklearn"})"),
            P("rows.csv") + ":1:1: n_samples 3, expected 2 (the data rows in the file)");
  Write("feat.csv", "2,3,a,b\n1,2,0\n3,4,1\n");
  EXPECT_EQ(LoadError(R"({"path": "feat.csv", "format": "sklearn"})"),
            P("feat.csv") + ":1:2: n_features 3, expected 2 (line 2 has 3 fields, the label last)");
  Write("count.csv", "x,2,a,b\n1,2,0\n");
  EXPECT_EQ(LoadError(R"({"path": "count.csv", "format": "sklearn"})"),
            P("count.csv") + ":1:1: n_samples 'x', expected a positive integer");
  Write("short.csv", "2,2\n1,2,0\n");
  EXPECT_EQ(LoadError(R"({"path": "short.csv", "format": "sklearn"})"),
            P("short.csv") + ":1:3: 2 fields, expected n_samples,n_features,class names... (the sklearn layout)");
  Write("label.csv", "2,2,a,b\n1,2,0\n3,4,2\n");
  EXPECT_EQ(LoadError(R"({"path": "label.csv", "format": "sklearn"})"),
            P("label.csv") + ":3:3: label '2', expected a class index in [0, 2) (classes a, b)");
  Write("ok.csv", "2,2,a,b\n1,2,0\n3,4,1\n");
  EXPECT_EQ(LoadError(R"({"path": "ok.csv", "format": "sklearn", "classes": ["b", "a"]})"),
            P("ok.csv") + ":1:3: class names a, b, expected the declared classes b, a");
  Write("row.csv", "2,2,a,b\n1,2,0\n3,4,1,5\n");
  EXPECT_EQ(LoadError(R"({"path": "row.csv", "format": "sklearn"})"),
            P("row.csv") + ":3:4: 4 fields, expected 3 (n_features and the label)");
}

TEST_F(CsvLoaderTest, LabelFileRowCount) {
  Write("x.txt", "1 2\n3 4\n5 6\n");
  Write("few.txt", "1\n2\n");
  Write("many.txt", "1\n2\n3\n4\n");
  Write("wide.txt", "1\n2 7\n3\n");
  const std::string base = R"("path": "x.txt", "header": false, "delimiter": "whitespace", "task": "regression")";
  EXPECT_EQ(LoadError("{" + base + R"(, "label_path": "few.txt"})"),
            P("few.txt") + ":3:1: 2 labels, expected 3 (the data rows of " + P("x.txt") + ")");
  EXPECT_EQ(LoadError("{" + base + R"(, "label_path": "many.txt"})"),
            P("many.txt") + ":4:1: label 4, expected 3 labels (the data rows of " + P("x.txt") + ")");
  EXPECT_EQ(LoadError("{" + base + R"(, "label_path": "wide.txt"})"),
            P("wide.txt") + ":2:2: 2 fields, expected 1 (one label per line)");
  Write("x.csv", "a\n1\n2\n");
  Write("y.csv", "1\n2\n");
  EXPECT_EQ(LoadError(R"({"path": "x.csv", "label_path": "y.csv", "task": "regression"})"),
            P("y.csv") + ":3:1: 1 labels, expected 2 (the data rows of " + P("x.csv") +
                "; header: true takes each file's first line as names)");
}

TEST_F(CsvLoaderTest, MissingFile) {
  Dataset d;
  Status s = Load(R"({"path": "nope.csv"})", &d);
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_EQ(s.message(), P("nope.csv") + ":1:1: no such file, expected a .csv or .csv.gz file");
  Write("x.csv", "a\n1\n");
  s = Load(R"({"path": "x.csv", "label_path": "nope.csv"})", &d);
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_EQ(s.message(), P("nope.csv") + ":1:1: no such file, expected a .csv or .csv.gz file");
}

TEST_F(CsvLoaderTest, FolderInsteadOfFile) {
  ASSERT_EQ(::mkdir(P("dir.csv").c_str(), 0755), 0);
  Dataset d;
  Status s = Load(R"({"path": "dir.csv"})", &d);
  EXPECT_TRUE(s.IsIOError());
  EXPECT_EQ(s.message(), P("dir.csv") + ":1:1: not a regular file, expected a .csv or .csv.gz file");
}

TEST_F(CsvLoaderTest, UnreadableFile) {
  Write("secret.csv", "a,y\n1,0\n");
  ASSERT_EQ(::chmod(P("secret.csv").c_str(), 0), 0);
  const std::string expected = P("secret.csv") + ":1:1: cannot open: Permission denied";
  auto refused = [&] {
    Dataset d;
    Status s = Load(R"({"path": "secret.csv"})", &d);
    return s.IsIOError() && s.message() == expected ? 0 : 1;
  };
  if (::geteuid() != 0) {
    Dataset d;
    Status s = Load(R"({"path": "secret.csv"})", &d);
    EXPECT_TRUE(s.IsIOError());
    EXPECT_EQ(s.message(), expected);
    return;
  }
  // Root reads files whatever their mode: the same load in a child that runs
  // as nobody, which needs to pass through the test's folder.
  ASSERT_EQ(::chmod(DirName(P("secret.csv")).c_str(), 0711), 0);
  EXPECT_EQ(mlops::testing::RunUnprivileged(refused), 0) << "expected: " << expected;
}

TEST_F(CsvLoaderTest, CorruptGzip) {
  std::string gz;
  WriteGzip("good.csv.gz", "a,y\n1,0\n2,1\n");
  ASSERT_TRUE(ReadFile(P("good.csv.gz"), &gz).ok());
  Write("truncated.csv.gz", gz.substr(0, 12));
  Dataset d;
  Status s = Load(R"({"path": "truncated.csv.gz"})", &d);
  EXPECT_TRUE(s.IsIOError());
  EXPECT_EQ(s.message(), P("truncated.csv.gz") +
                             ":1:1: corrupt gzip data (unexpected end of file), expected a complete gzip stream");
  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 8] ^= 0x55;
  Write("crc.csv.gz", bad_crc);
  s = Load(R"({"path": "crc.csv.gz"})", &d);
  EXPECT_TRUE(s.IsIOError());
  EXPECT_EQ(s.message(),
            P("crc.csv.gz") + ":1:1: corrupt gzip data (incorrect data check), expected a complete gzip stream");
}

TEST_F(CsvLoaderTest, TruncatedGzipAfterCompleteLinesNamesTheLineItStopsIn) {
  std::string text = "a,y\n";
  for (int i = 0; i < 50000; ++i) text += std::to_string(i) + "," + std::to_string(i % 2) + "\n";
  WriteGzip("big.csv.gz", text);
  std::string gz;
  ASSERT_TRUE(ReadFile(P("big.csv.gz"), &gz).ok());
  Write("cut.csv.gz", gz.substr(0, gz.size() / 2));
  Dataset d;
  Status s = Load(R"({"path": "cut.csv.gz"})", &d);
  EXPECT_TRUE(s.IsIOError());
  // Every line before the one it names was read in full.
  const std::string prefix = P("cut.csv.gz") + ":";
  ASSERT_EQ(s.message().rfind(prefix, 0), 0u) << s.message();
  const size_t line = std::stoul(s.message().substr(prefix.size()));
  EXPECT_GT(line, 100u);
  EXPECT_LT(line, 50002u);
  EXPECT_NE(s.message().find(":1: corrupt gzip data (unexpected end of file)"), std::string::npos) << s.message();
}

TEST_F(CsvLoaderTest, FailedLoadLeavesTheOutputAlone) {
  Write("d.csv", "a,y\n1,0\nx,1\n");
  Dataset d;
  d.rows = 7;
  EXPECT_FALSE(Load(R"({"path": "d.csv"})", &d).ok());
  EXPECT_EQ(d.rows, 7u);
}

}  // namespace
}  // namespace mlops::ml
