// mlctl's model registry verbs (docs/models.md): `models list|show|promote|approve|
// rollback|alias|unalias|verify`, `audit`, and the daemon's trust store under
// the shared `keys` command (`list`, `trust`, `revoke`).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <string>

#include "api_client.h"
#include "commands.h"

namespace mlops::ctl {

int ModelsList(const ApiClient& api, const Output& out);
int ModelsShow(const ApiClient& api, const std::string& name, const Output& out);
// Reads the current production version first and sends it as
// expected_production with a fresh random request_id: a promotion decided
// on a stale view, or sent twice, is refused by the daemon.
int ModelsPromote(const ApiClient& api, const std::string& name, int64_t version,
                  const std::string& to, const std::string& reason, const Output& out);
int ModelsApprove(const ApiClient& api, const std::string& name, int64_t version, const Output& out);
int ModelsRollback(const ApiClient& api, const std::string& name, int64_t version,
                   const std::string& reason, const Output& out);
int ModelsAlias(const ApiClient& api, const std::string& name, const std::string& alias,
                int64_t version, const Output& out);
int ModelsUnalias(const ApiClient& api, const std::string& name, const std::string& alias,
                  const Output& out);
// Server-side verification; kExitVerifyFailed when it does not verify.
int ModelsVerify(const ApiClient& api, const std::string& name, int64_t version, const Output& out);
int Audit(const ApiClient& api, const std::string& model, int limit, int64_t before,
          const Output& out);
int KeysList(const ApiClient& api, const Output& out);
int KeysTrust(const ApiClient& api, const std::string& pub_file, const std::string& name,
              const Output& out);
int KeysRevoke(const ApiClient& api, const std::string& key_id, const Output& out);

// The version a run registered, "" when none: for `mlctl report dotenv`.
void RegisteredVersion(const ApiClient& api, const nlohmann::json& run, std::string* model,
                       std::string* version);

// Registers `models` and `audit` under `app` and list/trust/revoke under
// `keys`. The option storage lives as long as the callbacks.
void AddModelCommands(CLI::App& app, CLI::App* keys, const std::function<ApiClient()>& api,
                      const Output& out, int* rc);

}  // namespace mlops::ctl
