// The model registry's routes (docs/models.md): models, versions, their
// signatures and verification, promotion, approval, rollback, aliases, the
// audit log and the trusted keys. The access policy of each route is in
// route_policy.cc (enforced before these run); promotion to production
// checks the caller's role itself (ModelService), and so do the trusted-key
// routes (admin only, whatever the policy table says). Every name and id from a
// path, query or body is validated before it is used.
#pragma once

#include "api/http.h"
#include "mlops/common/clock.h"

namespace mlops::registry {
class ModelRegistry;
}
namespace mlops::models {
class ModelService;
}

namespace mlops::api {

void AddModelRoutes(models::ModelService* service, registry::ModelRegistry* models, Clock* clock,
                    Router* router);

}  // namespace mlops::api
