// The serving routes of the API (docs/serving.md):
// - GET  /api/v1/serving: every model with a production version or a
//   canary: its production version, canary (version, share, state), what
//   mlops-serve reports of each version (state, reason, requests, errors),
//   the controller's window and notes, and the server's health (its address
//   file, whether stats.json is fresh, the supervisor's view).
// - POST /api/v1/models/{name}/canary with {"action": "start", "version": V,
//   "share_percent": P?} | {"action": "share", "share_percent": P} |
//   {"action": "stop", "reason": R?}; roles are checked by CanaryStarter.
// Their access rows are in api/route_policy.cc.
// Thread-safety: the handlers may run on any thread.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "api/http.h"
#include "mlops/common/clock.h"
#include "mlops/registry/model_registry.h"
#include "serving/canary_controller.h"
#include "serving/canary_starter.h"

namespace mlops::serving {

struct ServingRoutesContext {
  std::string state_dir;
  registry::ModelRegistry* models = nullptr;
  CanaryStarter* starter = nullptr;
  CanaryController* controller = nullptr;  // may be null: no canary judged
  Clock* clock = nullptr;
  std::chrono::milliseconds stale_after{10000};
  // The supervisor's view of mlops-serve; null when mlopsd does not run it.
  std::function<nlohmann::json()> supervisor;
};

// The body of GET /api/v1/serving.
nlohmann::json ServingStatus(const ServingRoutesContext& ctx);

void AddServingRoutes(const ServingRoutesContext& ctx, api::Router* router);

}  // namespace mlops::serving
