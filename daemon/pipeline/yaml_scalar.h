// The YAML 1.2 core schema for yaml-cpp scalars, which yaml-cpp leaves
// untyped: only true/True/TRUE/false/False/FALSE are booleans (yes, no, on and
// off are strings, unlike YAML 1.1), ~/null/empty is null, integers are
// decimal, 0o octal or 0x hex, floats include .inf and .nan. A quoted scalar
// or one tagged !!str is always a string.
//
// Private to mlops_pipeline. Thread-safety: pure functions.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>

namespace mlops::pipeline::internal {

enum class ScalarType { kNull, kBool, kInt, kFloat, kString };

// The type of `node`. REQUIRES: node is a scalar or null.
ScalarType ResolveScalar(const YAML::Node& node);

// Parses core-schema integer text. False when it is not one or does not fit
// in int64_t.
bool ParseCoreInt(const std::string& text, int64_t* out);

// Integer or float `node` as a double (.inf and .nan included). False for
// any other type.
bool ParseCoreNumber(const YAML::Node& node, double* out);

}  // namespace mlops::pipeline::internal
