// JSON answers shared by the API's route files: a Status as an RFC 7807
// problem with the matching HTTP code, a JSON value as a 2xx answer, and a
// listing as either.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/http.h"
#include "mlops/common/status.h"

namespace mlops::api {

// NotFound 404, InvalidArgument 400, Conflict 409, Unavailable 503,
// PermissionDenied 403, anything else 500.
HttpResponse FromStatus(const Status& s, const std::string& instance);
// Invalid UTF-8 in strings is replaced, never thrown.
HttpResponse Ok(const nlohmann::json& j, int status = 200);

// The answer to a listing: the problem for a failed `s`, else 200 with
// {key: [to_json(item), ...]}.
template <typename T, typename ToJson>
HttpResponse ListAnswer(const Status& s, const std::vector<T>& items, ToJson to_json,
                        const char* key, const std::string& instance) {
  if (!s.ok()) return FromStatus(s, instance);
  nlohmann::json list = nlohmann::json::array();
  for (const T& item : items) list.push_back(to_json(item));
  return Ok({{key, list}});
}

}  // namespace mlops::api
