#include "api/route_policy.h"

namespace mlops::api {

const std::vector<RoutePolicy>& RoutePolicies() {
  static const std::vector<RoutePolicy> kTable = {
      // Probes and scraping.
      {"GET", "/healthz", Access::kPublic},
      // The dashboard's static files (docs/dashboard.md); its data comes
      // from the routes below, with a token.
      {"GET", "/", Access::kPublic},
      {"GET", "/ui/{file}", Access::kPublic},
      {"GET", "/readyz", Access::kViewer},
      {"GET", "/metrics", Access::kViewer},  // kPublic when public_metrics is set
      {"GET", "/api/v1/version", Access::kViewer},
      // Pipelines and runs.
      {"GET", "/api/v1/pipelines", Access::kViewer},
      {"GET", "/api/v1/pipelines/{name}", Access::kViewer},
      {"POST", "/api/v1/pipelines/reload", Access::kOperator},
      {"POST", "/api/v1/pipelines/{name}/runs", Access::kOperator},
      {"GET", "/api/v1/runs", Access::kViewer},
      {"GET", "/api/v1/runs/{id}", Access::kViewer},
      {"GET", "/api/v1/runs/{id}/metrics", Access::kViewer},
      {"POST", "/api/v1/runs/{id}/cancel", Access::kOperator},
      {"GET", "/api/v1/runs/{id}/logs/{stage}", Access::kViewer},
      // Artifacts and lineage.
      {"GET", "/api/v1/artifacts", Access::kViewer},
      {"GET", "/api/v1/artifacts/{sha}", Access::kViewer},
      {"GET", "/api/v1/artifacts/{sha}/content", Access::kViewer},
      {"GET", "/api/v1/lineage/{sha}", Access::kViewer},
      {"GET", "/api/v1/plugins", Access::kViewer},
      // Triggers.
      {"GET", "/api/v1/repos", Access::kViewer},
      {"GET", "/api/v1/repos/{name}", Access::kViewer},
      {"POST", "/api/v1/repos/{name}/sync", Access::kOperator},
      {"POST", "/api/v1/webhooks/{source}/{repo}", Access::kWebhook},
      {"GET", "/api/v1/data", Access::kViewer},
      {"GET", "/api/v1/data/{id}", Access::kViewer},
      // Models (promote checks the target stage's role in its handler:
      // production needs admin).
      {"GET", "/api/v1/models", Access::kViewer},
      {"GET", "/api/v1/models/{name}", Access::kViewer},
      {"GET", "/api/v1/models/{name}/versions/{version}", Access::kViewer},
      {"GET", "/api/v1/models/{name}/versions/{version}/signature", Access::kViewer},
      {"POST", "/api/v1/models/{name}/versions/{version}/verify", Access::kViewer},
      {"POST", "/api/v1/models/{name}/versions/{version}/promote", Access::kOperator},
      {"POST", "/api/v1/models/{name}/versions/{version}/approve", Access::kAdmin},
      {"POST", "/api/v1/models/{name}/rollback", Access::kAdmin},
      {"PUT", "/api/v1/models/{name}/aliases/{alias}", Access::kOperator},
      {"DELETE", "/api/v1/models/{name}/aliases/{alias}", Access::kOperator},
      // Serving: starting a canary and changing its share need admin,
      // checked in the handler (CanaryStarter); stopping one needs operator.
      {"GET", "/api/v1/serving", Access::kViewer},
      {"POST", "/api/v1/models/{name}/canary", Access::kOperator},
      {"GET", "/api/v1/audit", Access::kViewer},
      // Trusted keys.
      {"GET", "/api/v1/keys", Access::kViewer},
      {"POST", "/api/v1/keys", Access::kAdmin},
      {"POST", "/api/v1/keys/{id}/revoke", Access::kAdmin},
      // Tokens.
      {"GET", "/api/v1/whoami", Access::kViewer},
      {"GET", "/api/v1/tokens", Access::kAdmin},
      {"POST", "/api/v1/tokens", Access::kAdmin},
      {"POST", "/api/v1/tokens/{id}/revoke", Access::kAdmin},
      // Serving: the prediction log holds users' inputs, so not viewer
      // (docs/serving.md, "Prediction log").
      {"GET", "/api/v1/serving/predictions/{name}", Access::kOperator},
      // State folder retention (removes files; dry runs list them).
      {"POST", "/api/v1/gc", Access::kAdmin},
  };
  return kTable;
}

const char* ToString(Access a) {
  switch (a) {
    case Access::kPublic: return "public";
    case Access::kWebhook: return "webhook";
    case Access::kViewer: return "viewer";
    case Access::kOperator: return "operator";
    case Access::kAdmin: return "admin";
  }
  return "?";
}

}  // namespace mlops::api
