// Who may call mlops-serve (docs/serving.md, "Server and protocols";
// docs/security.md): the OIP health endpoints are open (probes carry no
// token); everything else needs the API's bearer token of a role listed in
// serving.predict_roles, checked with a read-only token store (nothing is
// written) through a TokenCache (a revocation takes effect within
// kTokenCacheTtl), unless anonymous_predict is set, which the config allows only
// on a loopback listener.
// Thread-safety: the gate may be called from any thread.
#pragma once

#include <string>
#include <vector>

#include "api/http_server.h"
#include "serving/server/token_cache.h"

namespace mlops::serving {

struct ServeAccessOptions {
  bool anonymous_predict = false;
  std::vector<std::string> predict_roles;
};

// REQUIRES: tokens outlives the gate.
api::RequestGate MakeServeGate(TokenCache* tokens, ServeAccessOptions options);

// Whether `path` is open to anyone (the health endpoints).
bool IsPublicServePath(const std::string& path);

}  // namespace mlops::serving
