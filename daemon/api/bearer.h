// Bearer tokens in HTTP (RFC 6750), for every listener that takes the API's
// tokens (mlopsd's API, mlops-serve): reading the Authorization header and
// the 401 answer with its challenge. Tokens never appear in answers.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/http.h"

namespace mlops::api {

// The token of "Bearer TOKEN" (scheme case-insensitive), or nullopt when
// the header is not of that shape.
std::optional<std::string_view> BearerToken(std::string_view header);

// 401 problem document with `WWW-Authenticate: Bearer realm="REALM"` and,
// when set, error="ERROR".
HttpResponse Unauthorized(const std::string& detail, const std::string& error,
                          const std::string& instance, const std::string& realm = "mlopsd");

}  // namespace mlops::api
