// JSON answers shared by the API's route files: a Status as an RFC 7807
// problem with the matching HTTP code, and a JSON value as a 2xx answer.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "api/http.h"
#include "mlops/common/status.h"

namespace mlops::api {

// NotFound 404, InvalidArgument 400, Conflict 409, Unavailable 503,
// PermissionDenied 403, anything else 500.
HttpResponse FromStatus(const Status& s, const std::string& instance);
// Invalid UTF-8 in strings is replaced, never thrown.
HttpResponse Ok(const nlohmann::json& j, int status = 200);

}  // namespace mlops::api
