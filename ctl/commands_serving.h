// mlctl's serving verbs (docs/serving.md): `serve status` (models, versions,
// shares, health of mlops-serve) and `models canary NAME VERSION [--share
// 10%]` / `models canary NAME --share 50%` / `models canary NAME --stop`.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

#include "api_client.h"
#include "commands.h"

namespace mlops::ctl {

int ServeStatus(const ApiClient& api, const Output& out);

// "10%", "10" -> 10; false for anything else or outside 0..100.
bool ParseSharePercent(const std::string& text, int* out);

// Adds `status` under `serve` (made when no other file made it yet) and
// `canary` under `models` (which AddModelCommands made).
void AddServingCommands(CLI::App& app, const std::function<ApiClient()>& api, const Output& out,
                        int* rc);

}  // namespace mlops::ctl
