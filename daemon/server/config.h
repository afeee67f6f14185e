// DaemonConfig: mlopsd's settings. Embedded defaults, then the config file
// (YAML), then command-line flags, each overriding the one before.
#pragma once

#include <chrono>
#include <string>
#include <vector>
#include <optional>

#include "mlops/common/status.h"
#include "retention/retention_config.h"
#include "server/repo_config.h"

#include "serving/shared/serving_config.h"

namespace mlops::server {

struct DaemonConfig {
  std::string state_dir = "./mlopsd-state";
  std::string listen = "127.0.0.1:8765";
  std::vector<std::string> pipeline_dirs;
  std::vector<std::string> plugin_dirs;   // default: the build's or install's plugin folder
  std::string stage_host;                 // default: mlops-stage next to mlopsd
  std::string dashboard_dir;              // default: the build's or install's dashboard folder
  double cpus = 0;                        // 0 = the machine's core count
  int gpus = 0;
  int64_t memory_mb = 0;                  // 0 = not limited
  std::chrono::milliseconds kill_grace{std::chrono::seconds(5)};
  int64_t stage_output_mb = 64;           // cap of one attempt's stage log (docs/limits.md)
  std::chrono::milliseconds stop_timeout{std::chrono::seconds(30)};
  int max_recoveries = 1;
  // The HTTP listener (docs/config.md, docs/security.md "Slow clients").
  int http_threads = 128;
  std::chrono::milliseconds http_request_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds http_keep_alive_timeout{std::chrono::seconds(5)};
  int http_connections_per_client = 96;
  std::string log_level = "info";
  std::vector<RepoConfig> repositories;
  std::chrono::milliseconds data_scan_interval{std::chrono::seconds(10)};
  retention::RetentionConfig retention;   // what of the state folder is kept

  // Security (docs/security.md, docs/signing.md).
  bool public_metrics = false;            // serve /metrics without a token
  std::string tls_cert;                   // PEM files; both set: the API speaks only HTTPS
  std::string tls_key;
  std::string signing_key;                // Ed25519 private key (PEM, 0600) for signer stages
  std::vector<std::string> trusted_keys;  // public key files (PEM) trusted at start-up
  bool require_plugin_signatures = false; // each plugin needs <file>.sig by a trusted key
  std::vector<std::string> deploy_hook;   // argv run after a promotion to production

  // Serving (docs/serving.md): with a `serving:` section mlopsd runs and
  // supervises mlops-serve, handing it this config file.
  std::optional<serving::ServingConfig> serving;
  std::string config_file;   // the file read, absolute; "" when none
  std::string serve_binary;  // default: mlops-serve next to mlopsd
};

// Reads a YAML config file over `config`. Unknown keys, wrong types and bad
// durations are InvalidArgument errors naming file:line:column.
Status LoadConfigFile(const std::string& path, DaemonConfig* config);

// Fills what is still unset from the environment of the running binary
// (plugin folder and stage host next to the executable, core count), and
// makes relative folders absolute under the working directory.
void ApplyDefaults(DaemonConfig* config);

}  // namespace mlops::server
