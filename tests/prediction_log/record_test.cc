// The line format: what the writer encodes reads back the same, and what
// is not a line of this format is refused with a reason.
#include <gtest/gtest.h>

#include "log/prediction_record.h"
#include "log/segment_files.h"
#include "log_fixture.h"

namespace mlops::serving {
namespace {

using testing::IrisRecord;
using testing::IrisSchema;

TEST(PredictionRecord, PredictionLineReadsBackExactly) {
  PredictionRecord r = IrisRecord(1765000000123, 7, 2, 5.1f);
  r.inputs[5] = 0.1f;  // not exact in decimal: must still read back to the same float
  r.outputs = {0.25, 0.5, 0.25, 0.1, 0.2, 0.7};
  r.request_id = "req-\"1\"\n";
  const std::string line = EncodePredictionLine(r);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line per record";
  EXPECT_NE(line.find("\"class\":\"versicolor\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"class\":\"virginica\""), std::string::npos) << line;

  SegmentLine out;
  std::string error;
  ASSERT_TRUE(DecodeSegmentLine(std::string_view(line).substr(0, line.size() - 1), &out, &error))
      << error;
  ASSERT_EQ(out.type, SegmentLine::Type::kPrediction);
  EXPECT_EQ(out.record.time_ms, r.time_ms);
  EXPECT_EQ(out.record.model, "iris");
  EXPECT_EQ(out.record.version, 7);
  EXPECT_EQ(out.record.protocol, "oip-v2");
  EXPECT_EQ(out.record.request_id, r.request_id);
  EXPECT_EQ(out.record.rows, 2u);
  EXPECT_EQ(out.record.inputs, r.inputs);
  EXPECT_EQ(out.record.outputs, r.outputs);
}

TEST(PredictionRecord, RegressionAnswersAreValues) {
  auto schema = std::make_shared<PredictionSchema>();
  schema->classification = false;
  schema->feature_names = {"x"};
  PredictionRecord r;
  r.model = "price";
  r.version = 1;
  r.protocol = kProtocolTfServing;
  r.schema = schema;
  r.rows = 1;
  r.inputs = {2.0f};
  r.outputs = {41.5};
  ASSERT_EQ(CheckPredictionRecord(r), "");
  const std::string line = EncodePredictionLine(r);
  EXPECT_NE(line.find("\"outputs\":[{\"value\":41.5}]"), std::string::npos) << line;
  EXPECT_EQ(line.find("\"id\""), std::string::npos) << "no id field without a request id";

  const std::string schema_line = EncodeSchemaLine("price", 1, *schema);
  SegmentLine out;
  std::string error;
  ASSERT_TRUE(DecodeSegmentLine(schema_line.substr(0, schema_line.size() - 1), &out, &error)) << error;
  EXPECT_EQ(out.type, SegmentLine::Type::kSchema);
  EXPECT_FALSE(out.schema.classification);
  EXPECT_EQ(out.schema.feature_names, schema->feature_names);
}

TEST(PredictionRecord, InconsistentRecordsAreNamed) {
  PredictionRecord r = IrisRecord(1, 1, 2, 1.0f);
  r.inputs.pop_back();
  EXPECT_NE(CheckPredictionRecord(r), "");
  r = IrisRecord(1, 1, 2, 1.0f);
  r.outputs.pop_back();
  EXPECT_NE(CheckPredictionRecord(r), "");
  r.schema = nullptr;
  EXPECT_NE(CheckPredictionRecord(r), "");
}

TEST(PredictionRecord, ForeignLinesAreRefusedWithAReason) {
  SegmentLine out;
  std::string error;
  const std::string line = EncodePredictionLine(IrisRecord(1, 1, 1, 1.0f));
  EXPECT_FALSE(DecodeSegmentLine(std::string_view(line).substr(0, line.size() / 2), &out, &error));
  EXPECT_NE(error.find("torn"), std::string::npos) << error;
  EXPECT_FALSE(DecodeSegmentLine(R"({"type":"segment","model":"m","format":2})", &out, &error));
  EXPECT_NE(error.find("format 2"), std::string::npos) << error;
  EXPECT_FALSE(DecodeSegmentLine(R"({"type":"other","model":"m"})", &out, &error));
  EXPECT_FALSE(DecodeSegmentLine(R"({"type":"prediction","model":"m","time_ms":"x"})", &out, &error));
  const std::string header = EncodeSegmentHeader("m", 5);
  EXPECT_TRUE(DecodeSegmentLine(header.substr(0, header.size() - 1), &out, &error)) << error;
}

TEST(SegmentFiles, NamesAndModelNames) {
  int64_t started = 0, seq = 0;
  ASSERT_TRUE(ParseSegmentName(SegmentName(1765000000000, 12), &started, &seq));
  EXPECT_EQ(started, 1765000000000);
  EXPECT_EQ(seq, 12);
  for (const char* bad : {"1-2.json", "-1-2.jsonl", "1-.jsonl", "a-2.jsonl", "1-2x.jsonl", ".jsonl"})
    EXPECT_FALSE(ParseSegmentName(bad, &started, &seq)) << bad;
  EXPECT_TRUE(IsLoggableModelName("breast-cancer_v2.1"));
  for (const char* bad : {"", "..", ".hidden", "a/b", "-x", "a b"})
    EXPECT_FALSE(IsLoggableModelName(bad)) << bad;
}

// The real append on a full device: the error comes back (the writer
// drops and counts; serving goes on).
TEST(SegmentFiles, AppendToAFullDeviceFails) {
  PosixSegmentFiles files;
  Status st = files.Append("/dev/full", "{\"x\":1}\n");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("No space"), std::string::npos) << st.ToString();
}

}  // namespace
}  // namespace mlops::serving
