// The REST/JSON API under /api/v1, plus /healthz and /readyz. Adds its
// routes to a Router; errors are RFC 7807 problem documents.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "api/http.h"
#include "mlops/registry/artifact_store.h"
#include "mlops/registry/store.h"
#include "scheduler/scheduler.h"

namespace mlops::api {

struct ApiContext {
  registry::Store* store = nullptr;
  scheduler::Scheduler* scheduler = nullptr;
  registry::ArtifactStore* artifacts = nullptr;
  const std::atomic<bool>* ready = nullptr;       // recovery done, listening
  std::function<nlohmann::json()> plugins;        // the plugin catalog as JSON
  std::function<Status()> reload_pipelines;       // rescans the pipeline folders
  std::string version;
};

// REQUIRES: every pointer in `ctx` outlives the router.
void AddApiV1Routes(const ApiContext& ctx, Router* router);

}  // namespace mlops::api
