// The collection route: POST /api/v1/gc with an optional JSON body
// {"dry_run": bool, "artifacts": bool} (both false when absent) lists what
// retention removes now (docs/operations.md), removes it unless dry_run,
// and with artifacts also the unreferenced content of the store. Admin only
// (route_policy.cc). Answer: {"dry_run", "removed": [{"kind", "path",
// "bytes", "reason"}], "count", "bytes", "kept_in_use", "errors"}.
#pragma once

#include "api/http.h"

namespace mlops::retention {
class RetentionService;
}

namespace mlops::api {

// REQUIRES: `service` outlives the router.
void AddGcRoutes(retention::RetentionService* service, Router* router);

}  // namespace mlops::api
