// Authorizer: the gate between the HTTP server and the router (docs/security.md).
// Order: find the route; public and webhook routes pass (a webhook's handler
// checks its secret); everything else needs `Authorization: Bearer TOKEN`
// of a live token whose role is at least the route's (route_policy.cc).
// A path no route matches needs a valid token too, so that an anonymous
// caller cannot map the API by its 404s. Tokens never appear in answers
// or logs.
// Thread-safety: Admit may be called from any thread.
#pragma once

#include <optional>
#include <string>

#include "api/http.h"
#include "api/route_policy.h"
#include "mlops/common/clock.h"
#include "mlops/common/status.h"

namespace mlops::registry {
class TokenStore;
}

namespace mlops::api {

// The policy row of (method, pattern); HEAD uses GET's row. nullopt when
// the table has none.
std::optional<Access> PolicyFor(const std::string& method, const std::string& pattern);

// InvalidArgument naming the first route of `router` without a policy row.
Status CheckRoutePolicies(const Router& router);

struct AuthOptions {
  bool public_metrics = false;  // /metrics without a token
};

class Authorizer {
 public:
  Authorizer(const Router* router, registry::TokenStore* tokens, Clock* clock, AuthOptions opts);

  // True: dispatch the request (req->actor and req->role are set when a
  // token was checked). False: answer *deny (401 or 403 problem document).
  bool Admit(HttpRequest* req, HttpResponse* deny) const;

 private:
  const Router* router_;
  registry::TokenStore* tokens_;
  Clock* clock_;
  AuthOptions opts_;
};

}  // namespace mlops::api
