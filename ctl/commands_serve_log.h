// `mlctl serve log NAME [--since DURATION|TIME] [--limit N] [--version V]
// [--after CURSOR]`: what mlops-serve logged of a model's requests, oldest
// first, through GET /api/v1/serving/predictions/{name} (operator role).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

#include "api_client.h"
#include "commands.h"

namespace mlops::ctl {

struct ServeLogOptions {
  std::string model;
  std::string since = "1h";  // the API's forms: "30m", "2026-12-07T15:00:00Z", epoch ms
  int limit = 100;
  int64_t version = 0;       // 0: every version
  std::string after;         // a previous answer's cursor
};

int ServeLog(const ApiClient& api, const ServeLogOptions& opts, const Output& out);

// Adds `log` under the `serve` command, creating `serve` when no other
// serving verb has yet. The option storage lives as long as the callbacks.
void AddServeLogCommand(CLI::App& app, const std::function<ApiClient()>& api, const Output& out,
                        int* rc);

}  // namespace mlops::ctl
