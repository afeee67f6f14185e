// PredictionRecord: one logged prediction request (its rows and what the
// model answered), and its line in a segment file. The line format is
// documented in docs/serving.md, "Prediction log"; EncodePredictionLine and
// DecodePredictionLine are its only writer and reader.
// Thread-safety: plain values; the shared schema is immutable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mlops::serving {

// Protocol names the server passes (the `protocol` field).
inline constexpr const char* kProtocolTfServing = "tfs-v1";
inline constexpr const char* kProtocolOpenInference = "oip-v2";

// What a model version takes and answers, shared by every record of that
// version (built once at load, not per request).
struct PredictionSchema {
  bool classification = true;
  std::vector<std::string> feature_names;  // the input columns, in order
  std::vector<std::string> classes;        // classification: class k's label
};

struct PredictionRecord {
  int64_t time_ms = 0;       // wall clock when the request arrived
  std::string model;
  int64_t version = 0;       // the version that answered
  std::string protocol;      // kProtocolTfServing, kProtocolOpenInference
  std::string request_id;    // the client's request id (OIP `id`); may be empty
  std::shared_ptr<const PredictionSchema> schema;  // required
  size_t rows = 0;
  std::vector<float> inputs;    // rows * feature_names.size(), row-major, raw
  // Classification: rows * classes.size() probabilities, row-major;
  // regression: rows predicted values.
  std::vector<double> outputs;

  // Bytes this record holds in memory (for the writer's queue bound).
  size_t FootprintBytes() const;
};

// The segment's first line: {"type":"segment","format":1,...}.
std::string EncodeSegmentHeader(const std::string& model, int64_t started_ms);
// A version's schema line, written before the first record of that
// version in each segment so that every segment reads on its own.
std::string EncodeSchemaLine(const std::string& model, int64_t version,
                             const PredictionSchema& schema);
// A prediction line. REQUIRES: record.schema set and the sizes consistent
// (CheckPredictionRecord). Every line ends with '\n'.
std::string EncodePredictionLine(const PredictionRecord& record);
// Empty when the record can be logged, else what is wrong with it.
std::string CheckPredictionRecord(const PredictionRecord& record);

// One line of a segment file, decoded.
struct SegmentLine {
  enum class Type { kSegment, kSchema, kPrediction } type = Type::kPrediction;
  int format = 0;                 // kSegment
  int64_t version = 0;            // kSchema
  PredictionSchema schema;        // kSchema
  PredictionRecord record;        // kPrediction: schema not set (the reader adds it)
};
// False with *error set when the line is not one this format writes (a
// torn line, another format version, a field of the wrong type).
bool DecodeSegmentLine(std::string_view line, SegmentLine* out, std::string* error);

}  // namespace mlops::serving
