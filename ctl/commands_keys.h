// Offline signing verbs of mlctl (no daemon involved): `keys generate`,
// `keys sign-file` and `verify`. The daemon-side key verbs (`keys list`,
// `trust`, `revoke`) are added to the same `keys` command elsewhere.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "commands.h"

namespace mlops::ctl {

struct KeysGenerateOptions {
  std::string out_dir = ".";
  std::string name = "mlops-signing";
};
int KeysGenerate(const KeysGenerateOptions& opts, const Output& out);

// Writes FILE.sig: a DSSE envelope binding FILE's base name and digest
// (detached plugin signatures, checked by the stage host).
int KeysSignFile(const std::string& file, const std::string& private_key, const Output& out);

struct VerifyOptions {
  std::string dir;
  std::string signature;  // default: DIR/model.sig.json
  std::vector<std::string> trusted_keys;
  std::vector<std::string> revoked_key_ids;
};
// Exit 0 when the signature is by a trusted, non-revoked key and the folder
// matches it exactly; kExitVerifyFailed naming the offending file otherwise.
int Verify(const VerifyOptions& opts, const Output& out);

// Registers `generate` and `sign-file` under `keys` and `verify` under
// `app`. The option storage lives as long as the callbacks.
void AddOfflineKeyCommands(CLI::App& app, CLI::App* keys, const Output& out, int* rc);

}  // namespace mlops::ctl
