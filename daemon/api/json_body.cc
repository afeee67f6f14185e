#include "api/json_body.h"

#include <set>
#include <vector>

namespace mlops::api {
namespace {

using nlohmann::json;

// Parses `text` as JSON; *duplicate names the first key that appears twice
// in one object (the parse still completes). Discarded on a syntax error.
json ParseNoteDuplicates(const std::string& text, std::string* duplicate) {
  std::vector<std::set<std::string>> open_objects;
  auto note = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open_objects.empty() && parsed.is_string() &&
            !open_objects.back().insert(parsed.get<std::string>()).second && duplicate->empty()) {
          *duplicate = parsed.get<std::string>();
        }
        break;
      default:
        break;
    }
    return true;
  };
  return json::parse(text, note, false);
}

std::string Quoted(const std::string& key) {
  // Keys come from the client: bounded and without raw control bytes in
  // the answer (the problem document is JSON-escaped anyway).
  return "'" + (key.size() > 100 ? key.substr(0, 100) + "..." : key) + "'";
}

bool Refuse(const HttpRequest& req, const std::string& detail, HttpResponse* bad) {
  *bad = HttpResponse::Problem(400, detail, req.path);
  return false;
}

// True when `key` is present; false when absent (with *ok = !required and
// *bad set when required).
bool Present(const json& body, const char* key, bool required, const HttpRequest& req,
             HttpResponse* bad, bool* ok) {
  if (body.contains(key)) return true;
  *ok = required ? Refuse(req, std::string("'") + key + "' is required", bad) : true;
  return false;
}

}  // namespace

bool ParseBody(const HttpRequest& req, std::initializer_list<const char*> known, json* body,
               HttpResponse* bad) {
  std::string names;
  for (const char* k : known) names += (names.empty() ? "" : ", ") + std::string(k);
  if (names.empty()) names = "none";
  std::string duplicate;
  *body = req.body.empty() ? json::object() : ParseNoteDuplicates(req.body, &duplicate);
  if (body->is_discarded() || !body->is_object()) {
    return Refuse(req, "the body must be a JSON object; known fields: " + names, bad);
  }
  if (!duplicate.empty()) {
    return Refuse(req, "duplicate key " + Quoted(duplicate) + " in the body", bad);
  }
  for (const auto& [key, value] : body->items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    if (!ok) return Refuse(req, "unknown field " + Quoted(key) + "; known: " + names, bad);
  }
  return true;
}

bool StringField(const json& body, const char* key, bool required, std::string* out,
                 const HttpRequest& req, HttpResponse* bad) {
  bool ok = false;
  if (!Present(body, key, required, req, bad, &ok)) return ok;
  if (!body[key].is_string() || body[key].get_ref<const std::string&>().size() > 1000) {
    return Refuse(req, std::string("'") + key + "' must be a string of at most 1000 characters",
                  bad);
  }
  *out = body[key].get<std::string>();
  return true;
}

bool IntField(const json& body, const char* key, bool required, int64_t min, int64_t* out,
              const HttpRequest& req, HttpResponse* bad) {
  bool ok = false;
  if (!Present(body, key, required, req, bad, &ok)) return ok;
  if (!body[key].is_number_integer() || body[key].get<int64_t>() < min) {
    return Refuse(req, std::string("'") + key + "' must be an integer >= " + std::to_string(min),
                  bad);
  }
  *out = body[key].get<int64_t>();
  return true;
}

bool BoolField(const json& body, const char* key, bool required, bool* out,
               const HttpRequest& req, HttpResponse* bad) {
  bool ok = false;
  if (!Present(body, key, required, req, bad, &ok)) return ok;
  if (!body[key].is_boolean()) {
    return Refuse(req, std::string("'") + key + "' must be a boolean (true or false)", bad);
  }
  *out = body[key].get<bool>();
  return true;
}

}  // namespace mlops::api
