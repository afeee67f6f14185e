// YamlReader: typed, position-aware reads of a yaml-cpp tree for the pipeline
// parser. Every problem becomes a PipelineError ("expected a list of strings,
// got a mapping") instead of an exception, so that one pass reports them all.
//
// Scalars are typed by the YAML 1.2 core schema (yaml_scalar.h).
//
// Private to mlops_pipeline, like the other headers that name yaml-cpp types
// (yaml_scalar.h, stage_reader.h); no public header does.
// Thread-safety: one reader per parse; not thread-safe.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/pipeline_parser.h"

namespace mlops::pipeline::internal {

struct MapEntry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

class YamlReader {
 public:
  YamlReader(std::string file, std::vector<PipelineError>* errors)
      : file_(std::move(file)), errors_(errors) {}

  void Error(SourcePos pos, std::string message);
  void Error(const YAML::Node& at, std::string message) { Error(Pos(at), std::move(message)); }
  size_t error_count() const { return errors_->size() - first_error_; }

  static SourcePos Pos(const YAML::Node& node);
  // The value's position, or its key's when the value is null: yaml-cpp marks
  // an empty value at the token after it.
  static SourcePos ValuePos(const MapEntry& e);
  // "a mapping", "a list", "null" or the scalar quoted ('tune').
  static std::string Describe(const YAML::Node& node);

  // The entries of `map` (REQUIRES: a mapping) in file order. Records and
  // leaves out a non-scalar key, a repeated key (naming the first one's
  // line) and, when `allowed` is non-empty, a key not in it. `where` ends
  // those messages: "in stage 'train'", "at top level".
  std::vector<MapEntry> Entries(const YAML::Node& map, const std::vector<std::string_view>& allowed,
                                const std::string& where);

  // Typed reads of e.value. `what` names the field in messages ("'retries'
  // of stage 'train'"). Each returns false after recording "<what>: expected
  // ..., got ..." when the value does not fit; *out is then unchanged.
  bool ReadMap(const MapEntry& e, const std::string& what);                       // is a mapping
  bool ReadString(const MapEntry& e, const std::string& what, std::string* out);  // any scalar
  bool ReadBool(const MapEntry& e, const std::string& what, bool* out);
  bool ReadInt(const MapEntry& e, const std::string& what, int64_t min, int64_t max, int64_t* out);
  bool ReadPositiveNumber(const MapEntry& e, const std::string& what, double* out);
  bool ReadDuration(const MapEntry& e, const std::string& what, std::chrono::milliseconds* out);
  // A list of strings, non-empty unless `allow_empty`; *positions (if
  // non-null) gets each item's.
  bool ReadStringList(const MapEntry& e, const std::string& what, std::vector<std::string>* out,
                      std::vector<SourcePos>* positions = nullptr, bool allow_empty = false);
  // A mapping as JSON object text (keys sorted), scalar types preserved.
  bool ReadJsonObject(const MapEntry& e, const std::string& what, std::string* out);

  // Records "<what>: expected <expected>, got <e.value described>"; false.
  bool TypeError(const MapEntry& e, const std::string& what, const std::string& expected);

 private:
  std::string file_;
  std::vector<PipelineError>* errors_;
  size_t first_error_ = errors_->size();
};

}  // namespace mlops::pipeline::internal
