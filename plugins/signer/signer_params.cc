#include "signer_params.h"

#include <nlohmann/json.hpp>

#include "mlops/signing/signing.h"

namespace mlops::signer {

bool ParseSignerParams(const std::string& json_text, SignerParams* out, std::string* error) {
  nlohmann::json with = nlohmann::json::parse(json_text, nullptr, false);
  if (with.is_discarded() || !with.is_object()) {
    *error = "signer: params are not a JSON object";
    return false;
  }
  SignerParams p;
  for (const auto& [key, value] : with.items()) {
    // Stage keys the host forwards with every plugin's params.
    if (key == "env" || key == "outputs") continue;
    if (key == "output") {
      if (!value.is_string()) {
        *error = "signer: 'output': expected a file name, got " + value.dump();
        return false;
      }
      p.output = value.get<std::string>();
      Status st = signing::CheckSubjectName(p.output);
      if (!st.ok() || p.output.find('/') != std::string::npos) {
        *error = "signer: 'output' must be a plain file name in the work dir, got '" + p.output +
                 "'";
        return false;
      }
      continue;
    }
    if (key == "key" || key == "key_path" || key == "signing_key" || key == "private_key") {
      *error = "signer: unknown parameter '" + key +
               "': the signing key is configured in the daemon (signing_key), never in `with`";
      return false;
    }
    *error = "signer: unknown parameter '" + key + "' (allowed: output)";
    return false;
  }
  *out = p;
  return true;
}

std::string CheckInputName(const std::string& name) {
  if (!name.empty() && name[0] == '/') {
    return "input '" + name + "' is an absolute path; the signer signs files of the run's "
           "workspace, named relative to it";
  }
  Status st = signing::CheckSubjectName(name);
  if (!st.ok()) return "input: " + st.message();
  return "";
}

}  // namespace mlops::signer
