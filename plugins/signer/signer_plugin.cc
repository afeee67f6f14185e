// The first-party `signer` plugin: signs the stage's input files (the model
// artifact of the run) with the daemon's key (MLOPS_SIGNING_KEY) and writes
// the DSSE envelope (default model.sig.json) as its output artifact.
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "mlops/common/files.h"
#include "mlops/plugin.h"
#include "mlops/signing/signing.h"
#include "signer_manifest.h"
#include "signer_params.h"

namespace mlops::signer {
namespace {

mlops_status Fail(mlops_stage* stage, const mlops_host_api* host, mlops_status status,
                  const std::string& message) {
  host->set_error(stage, message.c_str());
  return status;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

mlops_status Run(mlops_stage* stage, const mlops_host_api* host) {
  SignerParams params;
  std::string error;
  if (!ParseSignerParams(host->params_json(stage), &params, &error)) {
    return Fail(stage, host, MLOPS_BAD_PARAMS, error);
  }
  const std::string key_path = Env("MLOPS_SIGNING_KEY");
  if (key_path.empty()) {
    return Fail(stage, host, MLOPS_ERROR,
                "signer: no signing key configured: set `signing_key` in the daemon's config "
                "(a key made by `mlctl keys generate`)");
  }
  signing::PrivateKey key;
  Status ks = signing::PrivateKey::Load(key_path, &key);
  if (!ks.ok()) return Fail(stage, host, MLOPS_ERROR, "signer: " + ks.message());

  std::vector<SignerInput> inputs;
  const size_t n = host->input_count(stage);
  for (size_t i = 0; i < n; ++i) {
    const char* name = nullptr;
    const char* path = nullptr;
    if (host->input_at(stage, i, &name, &path) != MLOPS_OK || name == nullptr || path == nullptr) {
      return Fail(stage, host, MLOPS_ERROR, "signer: input #" + std::to_string(i) + " unreadable");
    }
    inputs.push_back({name, path});
    if (inputs.back().name == params.output) {
      return Fail(stage, host, MLOPS_BAD_PARAMS,
                  "signer: input '" + params.output + "' is also the envelope's output name");
    }
  }
  std::vector<signing::Subject> subjects;
  Status ss = BuildSubjects(inputs, &subjects);
  if (!ss.ok()) return Fail(stage, host, MLOPS_ERROR, ss.message());
  if (host->is_cancelled(stage) != 0) {
    return Fail(stage, host, MLOPS_CANCELLED, "signer: cancelled");
  }

  PredicateFacts facts;
  facts.provenance_file = Env("MLOPS_PROVENANCE");
  facts.run_id = Env("MLOPS_RUN_ID");
  facts.stage = Env("MLOPS_STAGE");
  for (const SignerInput& in : inputs) facts.input_names.push_back(in.name);
  facts.key_id = key.public_key().key_id;
  facts.signed_at = UtcNow();
  nlohmann::json predicate;
  Status ps = BuildPredicate(facts, &predicate);
  if (!ps.ok()) return Fail(stage, host, MLOPS_ERROR, ps.message());

  std::string envelope;
  Status es = signing::SignEnvelope(key, signing::kPayloadType,
                                    signing::MakeStatement(subjects, predicate).dump(), &envelope);
  if (!es.ok()) return Fail(stage, host, MLOPS_ERROR, "signer: " + es.message());
  const std::string out_path = JoinPath(host->work_dir(stage), params.output);
  Status ws = WriteFileAtomic(out_path, envelope, 0644);
  if (!ws.ok()) return Fail(stage, host, MLOPS_ERROR, "signer: " + ws.message());
  if (host->artifact(stage, params.output.c_str(), params.output.c_str(),
                     signing::kEnvelopeMediaType) != MLOPS_OK) {
    return Fail(stage, host, MLOPS_ERROR, "signer: cannot register " + params.output);
  }
  host->param(stage, "signing_key_id", nlohmann::json(facts.key_id).dump().c_str());
  host->log(stage, MLOPS_LOG_INFO,
            ("signer: signed " + std::to_string(subjects.size()) + " file(s) with key " +
             facts.key_id + " -> " + params.output)
                .c_str());
  return MLOPS_OK;
}

mlops_status RunGuarded(mlops_stage* stage, const mlops_host_api* host) {
  try {
    return Run(stage, host);
  } catch (const std::exception& e) {
    return Fail(stage, host, MLOPS_ERROR, std::string("signer plugin: ") + e.what());
  } catch (...) {
    return Fail(stage, host, MLOPS_ERROR, "signer plugin: unknown exception");
  }
}

}  // namespace
}  // namespace mlops::signer

extern "C" MLOPS_PLUGIN_EXPORT int mlops_plugin_entry(mlops_plugin_info* info) {
  if (info == nullptr || info->struct_size < sizeof(mlops_plugin_info)) return 1;
  info->struct_size = sizeof(mlops_plugin_info);
  info->abi_major = MLOPS_PLUGIN_ABI_MAJOR;
  info->abi_minor = MLOPS_PLUGIN_ABI_MINOR;
  info->name = "signer";
  info->version = "1.0.0";
  info->run = mlops::signer::RunGuarded;
  return 0;
}
