// Strict JSON request bodies. A route that takes a body names the fields it
// knows; the body is refused with 400, naming the key, when it is not one
// JSON object, holds a key the route does not know, holds any key twice
// (at any depth: parsers disagree on which copy wins), or a known field has
// the wrong type. An empty body reads as {}. The detail of each refusal is
// in docs/security.md ("Request bodies").
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

#include <nlohmann/json.hpp>

#include "api/http.h"

namespace mlops::api {

// Parses req.body into *body. False with *bad set (a 400 problem) when the
// body is not a JSON object, repeats a key, or holds a key not in `known`.
bool ParseBody(const HttpRequest& req, std::initializer_list<const char*> known,
               nlohmann::json* body, HttpResponse* bad);

// Each reads `key` of a body that ParseBody accepted. Absent: true when not
// `required` (*out untouched), else false with a 400 in *bad. Present with
// the wrong type or out of range: false with a 400 naming the key.
bool StringField(const nlohmann::json& body, const char* key, bool required, std::string* out,
                 const HttpRequest& req, HttpResponse* bad);  // at most 1000 bytes
bool IntField(const nlohmann::json& body, const char* key, bool required, int64_t min,
              int64_t* out, const HttpRequest& req, HttpResponse* bad);
bool BoolField(const nlohmann::json& body, const char* key, bool required, bool* out,
               const HttpRequest& req, HttpResponse* bad);

}  // namespace mlops::api
