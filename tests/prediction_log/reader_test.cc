// The reader against segment files written line by line here, so that each
// test controls what is on disk: filters, pages, torn and foreign lines,
// segments removed under it.
#include <gtest/gtest.h>

#include "../registry/temp_dir.h"
#include "log/prediction_reader.h"
#include "log/segment_files.h"
#include "log_fixture.h"
#include "mlops/common/files.h"

namespace mlops::serving {
namespace {

using testing::IrisRecord;
using testing::IrisSchema;

class ReaderTest : public ::testing::Test {
 protected:
  // A segment of `iris` starting at `start` with one 1-row record per
  // entry of `times`, tagged with its time, all of `version`.
  std::string WriteSegment(int64_t start, int64_t seq, const std::vector<int64_t>& times,
                           int64_t version = 1, const std::string& tail = "") {
    std::string text = EncodeSegmentHeader("iris", start);
    text += EncodeSchemaLine("iris", version, *IrisSchema());
    for (int64_t t : times) text += EncodePredictionLine(IrisRecord(t, version, 1, float(t)));
    text += tail;
    EXPECT_TRUE(MakeDirs(dir_).ok());
    const std::string path = JoinPath(dir_, SegmentName(start, seq));
    EXPECT_TRUE(WriteFileAtomic(path, text).ok());
    return path;
  }
  PredictionPage Read(int64_t since, size_t limit, const std::string& after = "", int64_t version = 0) {
    PredictionQuery q;
    q.model = "iris";
    q.since_ms = since;
    q.limit = limit;
    q.after = after;
    q.version = version;
    PredictionPage page;
    Status st = ReadPredictions(root_, q, &page);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return page;
  }
  static std::vector<int64_t> Times(const PredictionPage& p) {
    std::vector<int64_t> out;
    for (const auto& r : p.records) out.push_back(r.time_ms);
    return out;
  }

  mlops::testing::TempDir tmp_;
  std::string root_ = tmp_.path();
  std::string dir_ = tmp_.Join("iris");
};

TEST_F(ReaderTest, SinceSelectsAcrossSegmentsOldestFirst) {
  WriteSegment(1000, 1, {1000, 1500, 1900});
  WriteSegment(2000, 2, {2000, 2500});
  WriteSegment(300000, 3, {300000, 300001});
  EXPECT_EQ(Times(Read(0, 100)), (std::vector<int64_t>{1000, 1500, 1900, 2000, 2500, 300000, 300001}));
  EXPECT_EQ(Times(Read(1600, 100)), (std::vector<int64_t>{1900, 2000, 2500, 300000, 300001}));
  EXPECT_EQ(Times(Read(300001, 100)), (std::vector<int64_t>{300001}));
  EXPECT_TRUE(Read(400000, 100).records.empty());
  auto page = Read(0, 100);
  ASSERT_TRUE(page.records[0].schema);
  EXPECT_EQ(page.records[0].schema->feature_names[0], "sepal_length");
  EXPECT_EQ(page.next_cursor, "") << "everything fit";
}

TEST_F(ReaderTest, LimitPagesWithACursor) {
  WriteSegment(1000, 1, {1000, 1001, 1002});
  WriteSegment(2000, 2, {2000, 2001});
  auto p1 = Read(0, 2);
  EXPECT_EQ(Times(p1), (std::vector<int64_t>{1000, 1001}));
  ASSERT_NE(p1.next_cursor, "");
  auto p2 = Read(0, 2, p1.next_cursor);
  EXPECT_EQ(Times(p2), (std::vector<int64_t>{1002, 2000}));
  auto p3 = Read(0, 2, p2.next_cursor);
  EXPECT_EQ(Times(p3), (std::vector<int64_t>{2001}));
  ASSERT_TRUE(p3.records[0].schema) << "the schema is found before the cursor's offset";
  EXPECT_EQ(p3.next_cursor, "");
}

TEST_F(ReaderTest, VersionFilter) {
  WriteSegment(1000, 1, {1000, 1001}, 7);
  WriteSegment(2000, 2, {2000}, 8);
  EXPECT_EQ(Times(Read(0, 10, "", 8)), (std::vector<int64_t>{2000}));
  EXPECT_EQ(Times(Read(0, 10, "", 7)), (std::vector<int64_t>{1000, 1001}));
}

TEST_F(ReaderTest, TornLastLineIsSkippedQuietly) {
  const std::string whole = EncodePredictionLine(IrisRecord(1002, 1, 1, 1.0f));
  WriteSegment(1000, 1, {1000, 1001}, 1, whole.substr(0, whole.size() / 2));
  auto page = Read(0, 10);
  EXPECT_EQ(Times(page), (std::vector<int64_t>{1000, 1001}));
  EXPECT_EQ(page.skipped_lines, 0u) << "a line without its newline may still be being written";
}

TEST_F(ReaderTest, DamagedLinesAreSkippedAndCounted) {
  std::string text = EncodeSegmentHeader("iris", 1000) + EncodeSchemaLine("iris", 1, *IrisSchema());
  text += EncodePredictionLine(IrisRecord(1000, 1, 1, 1.0f));
  const std::string torn = EncodePredictionLine(IrisRecord(1001, 1, 1, 1.0f));
  text += torn.substr(0, 40) + "\n";  // a crash mid-write, then more appended
  text += EncodePredictionLine(IrisRecord(1002, 1, 1, 1.0f));
  text += EncodePredictionLine(IrisRecord(1003, 9, 1, 1.0f));  // no schema for version 9
  ASSERT_TRUE(MakeDirs(dir_).ok());
  ASSERT_TRUE(WriteFileAtomic(JoinPath(dir_, SegmentName(1000, 1)), text).ok());
  auto page = Read(0, 10);
  EXPECT_EQ(Times(page), (std::vector<int64_t>{1000, 1002}));
  EXPECT_EQ(page.skipped_lines, 2u);
}

TEST_F(ReaderTest, SegmentsOfAnotherFormatAreSkippedWhole) {
  ASSERT_TRUE(MakeDirs(dir_).ok());
  std::string future = "{\"type\":\"segment\",\"model\":\"iris\",\"format\":2,\"started_ms\":500}\n";
  future += EncodeSchemaLine("iris", 1, *IrisSchema());
  future += EncodePredictionLine(IrisRecord(500, 1, 1, 1.0f));
  ASSERT_TRUE(WriteFileAtomic(JoinPath(dir_, SegmentName(500, 1)), future).ok());
  WriteSegment(1000, 2, {1000});
  ASSERT_TRUE(WriteFileAtomic(JoinPath(dir_, "notes.txt"), "not a segment\n").ok());
  auto page = Read(0, 10);
  EXPECT_EQ(Times(page), (std::vector<int64_t>{1000}));
  EXPECT_EQ(page.skipped_lines, 1u);
}

TEST_F(ReaderTest, ASegmentRemovedUnderACursorMovesOnToTheNext) {
  const std::string first = WriteSegment(1000, 1, {1000, 1001, 1002});
  WriteSegment(2000, 2, {2000});
  auto p1 = Read(0, 1);
  ASSERT_NE(p1.next_cursor, "");
  ASSERT_EQ(::unlink(first.c_str()), 0);  // the writer's size bound dropped it
  EXPECT_EQ(Times(Read(0, 10, p1.next_cursor)), (std::vector<int64_t>{2000}));
}

TEST_F(ReaderTest, BadQueriesAreRefusedAndAMissingLogIsEmpty) {
  PredictionPage page;
  PredictionQuery q;
  q.model = "../etc";
  EXPECT_TRUE(ReadPredictions(root_, q, &page).IsInvalidArgument());
  q.model = "iris";
  q.after = "garbage";
  EXPECT_TRUE(ReadPredictions(root_, q, &page).IsInvalidArgument());
  q.after = "";
  q.limit = 0;
  EXPECT_TRUE(ReadPredictions(root_, q, &page).IsInvalidArgument());
  q.limit = 10;
  q.model = "unknown";
  ASSERT_TRUE(ReadPredictions(root_, q, &page).ok());
  EXPECT_TRUE(page.records.empty());
}

}  // namespace
}  // namespace mlops::serving
