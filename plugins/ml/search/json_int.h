// Reading a bounded integer option from JSON, for the search options and
// the pruner options: a missing key leaves *out; a wrong type or range is an
// error naming `label` (e.g. "'trials'" or "pruner.min_resource").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "mlops/common/status.h"

namespace mlops::ml {

inline Status ReadBoundedInt(const nlohmann::json& j, const char* key, const std::string& label, int64_t lo,
                             int64_t hi, int64_t* out) {
  if (!j.contains(key)) return Status::OK();
  const auto& v = j[key];
  if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi) {
    return Status::InvalidArgument(label + ": expected an integer from " + std::to_string(lo) + " to " +
                                   std::to_string(hi) + ", got " + v.dump());
  }
  *out = v.get<int64_t>();
  return Status::OK();
}

}  // namespace mlops::ml
