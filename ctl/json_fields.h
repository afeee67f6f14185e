// Lenient readers of fields in the daemon's JSON answers, for printing.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace mlops::ctl {

// The field as text: strings as they are, other values as JSON, "" if absent.
inline std::string Str(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

// The field as an integer, 0 if absent or not an integer.
inline int64_t Int(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : 0;
}

}  // namespace mlops::ctl
