// YamlReader::ReadJsonObject: a `with` mapping as JSON, typed by the YAML 1.2
// core schema, so that `trials: 24` reaches a plugin as 24 and `lr: "1e-3"`
// as a string.

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "pipeline/yaml_reader.h"
#include "pipeline/yaml_scalar.h"

namespace mlops::pipeline::internal {

namespace {

// Bounds that stop a recursive alias (&a [*a]) or an alias bomb.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxValues = 100000;

class JsonWalk {
 public:
  JsonWalk(YamlReader* reader, const std::string& what) : reader_(reader), what_(what) {}

  // False after recording an error; the walk then stops at the first bound hit.
  bool Convert(const YAML::Node& node, int depth, nlohmann::json* out) {
    if (stopped_) return false;
    if (depth > kMaxDepth || ++values_ > kMaxValues) {
      reader_->Error(node, what_ + ": nested deeper than " + std::to_string(kMaxDepth) +
                               " levels or more than " + std::to_string(kMaxValues) +
                               " values (a recursive alias?)");
      stopped_ = true;
      return false;
    }
    switch (node.Type()) {
      case YAML::NodeType::Map:
        return ConvertMap(node, depth, out);
      case YAML::NodeType::Sequence: {
        *out = nlohmann::json::array();
        bool ok = true;
        for (const YAML::Node& item : node) {
          nlohmann::json value;
          ok = Convert(item, depth + 1, &value) && ok;
          out->push_back(std::move(value));
        }
        return ok;
      }
      case YAML::NodeType::Scalar:
        return ConvertScalar(node, out);
      default:
        *out = nullptr;
        return true;
    }
  }

 private:
  bool ConvertMap(const YAML::Node& node, int depth, nlohmann::json* out) {
    *out = nlohmann::json::object();
    const size_t errors_before = reader_->error_count();
    bool ok = true;
    for (const MapEntry& e : reader_->Entries(node, {}, "in " + what_)) {
      nlohmann::json value;
      ok = Convert(e.value, depth + 1, &value) && ok;
      (*out)[e.key] = std::move(value);
    }
    return ok && reader_->error_count() == errors_before;
  }

  bool ConvertScalar(const YAML::Node& node, nlohmann::json* out) {
    const std::string& text = node.Scalar();
    switch (ResolveScalar(node)) {
      case ScalarType::kNull:
        *out = nullptr;
        return true;
      case ScalarType::kBool:
        *out = text[0] == 't' || text[0] == 'T';
        return true;
      case ScalarType::kInt: {
        int64_t whole = 0;
        if (ParseCoreInt(text, &whole)) {
          *out = whole;
          return true;
        }
        [[fallthrough]];  // beyond int64: a JSON number with a fraction's precision
      }
      case ScalarType::kFloat: {
        double value = 0;
        if (!ParseCoreNumber(node, &value) || !std::isfinite(value)) {
          reader_->Error(node, what_ + ": the number '" + text + "' has no JSON form");
          return false;
        }
        *out = value;
        return true;
      }
      case ScalarType::kString:
        *out = text;
        return true;
    }
    return false;
  }

  YamlReader* reader_;
  const std::string& what_;
  size_t values_ = 0;
  bool stopped_ = false;
};

}  // namespace

bool YamlReader::ReadJsonObject(const MapEntry& e, const std::string& what, std::string* out) {
  if (!ReadMap(e, what)) return false;
  nlohmann::json json;
  JsonWalk walk(this, what);
  if (!walk.Convert(e.value, 0, &json)) return false;
  *out = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return true;
}

}  // namespace mlops::pipeline::internal
