// Request bodies of the two protocols as JSON, with the limits a server
// facing clients needs: nesting deeper than kMaxJsonDepth is refused before
// the parser sees it, and TF-Serving's dialect (bare NaN, Infinity and
// -Infinity tokens; {"b64": "..."} binary values) is read as TF-Serving
// reads it, so a non-finite feature can be refused naming its row and
// column instead of as "malformed JSON".
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace mlops::serving {

inline constexpr int kMaxJsonDepth = 32;

// Parses `text`; false with *error ("malformed JSON at byte 12: ...",
// "JSON nested deeper than 32 levels") otherwise. With `tf_dialect`, a bare
// NaN/Infinity/-Infinity outside strings becomes a marker string that
// ReadNumber turns into the non-finite value.
bool ParseRequestJson(std::string_view text, bool tf_dialect, nlohmann::json* out,
                      std::string* error);

// A number of a tensor: a JSON number, or a dialect marker (NaN, ±inf).
// False with *error for anything else (a string, an object, {"b64": ...},
// which is decoded first so that bad base64 says so).
bool ReadNumber(const nlohmann::json& v, double* out, std::string* error);

}  // namespace mlops::serving
