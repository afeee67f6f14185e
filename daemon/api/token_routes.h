// The token routes: GET /api/v1/whoami (any role), GET/POST /api/v1/tokens
// and POST /api/v1/tokens/{id}/revoke (admin; the policy is in
// route_policy.cc and enforced by the Authorizer before these run).
#pragma once

#include "api/http.h"
#include "mlops/common/clock.h"

namespace mlops::registry {
class TokenStore;
}

namespace mlops::api {

void AddTokenRoutes(registry::TokenStore* tokens, Clock* clock, Router* router);

}  // namespace mlops::api
