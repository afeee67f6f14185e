// RoutePolicy: who may call each API route. The table in route_policy.cc is
// the one checked-in source of truth: the daemon refuses to start when a
// registered route has no row, and the route x role matrix test reads it.
// Default deny: a request is let through only when its role is at least the
// row's role.
#pragma once

#include <string>
#include <vector>

namespace mlops::api {

enum class Access {
  kPublic,    // no token (/healthz, the dashboard's static files; /metrics when
              // configured public)
  kWebhook,   // no bearer token; the handler checks the webhook secret
  kViewer,    // read
  kOperator,  // trigger, cancel, promote to staging
  kAdmin,     // everything: production, rollback, keys, tokens
};

struct RoutePolicy {
  const char* method;
  const char* pattern;  // as given to Router::Add
  Access access;
};

// Every route of the daemon's API, in a fixed order.
const std::vector<RoutePolicy>& RoutePolicies();

const char* ToString(Access a);

}  // namespace mlops::api
