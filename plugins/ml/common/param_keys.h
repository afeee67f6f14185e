// Strict `with` keys for the ML plugins: a key the plugin does not know is
// an error naming it and the allowed keys. `env` and `outputs` are stage
// keys the host forwards with the params; they are always allowed.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mlops::ml {

// Empty when every key of `with` is in `allowed`; else the message.
std::string UnknownKeyError(const nlohmann::json& with, const std::vector<std::string>& allowed);

// The output file name from `with.output`, else `fallback`: a plain name
// in the work dir (not empty, no "..", not absolute). Empty when valid;
// else the message.
std::string ReadOutputName(const nlohmann::json& with, const std::string& fallback, std::string* name);

}  // namespace mlops::ml
