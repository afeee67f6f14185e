// The signer stage's `with`: only `output` (the envelope's file name in the
// work dir). The key is never a parameter: the daemon names it in the
// environment (MLOPS_SIGNING_KEY) from its own config, so a pipeline author
// can neither choose another key nor put key material in a pipeline file.
#pragma once

#include <string>

namespace mlops::signer {

inline constexpr const char* kDefaultOutput = "model.sig.json";

struct SignerParams {
  std::string output = kDefaultOutput;
};

// Parses the params JSON text. On failure returns false with *error naming
// the offending key.
bool ParseSignerParams(const std::string& json_text, SignerParams* out, std::string* error);

// Empty when `name` is an input name the signer accepts (relative to the work
// dir, no ".." component, not absolute, no backslash or control character);
// else why not.
std::string CheckInputName(const std::string& name);

}  // namespace mlops::signer
