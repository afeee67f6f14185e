// HTTP request/response values and a small router, independent of the
// server library. Handlers are plain functions of a request.
// Thread-safety: a Router is immutable once the server starts.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace mlops::api {

struct HttpRequest {
  std::string method;
  std::string path;                                // decoded, without the query
  std::map<std::string, std::string> query;        // decoded
  std::map<std::string, std::string> path_params;  // from "{name}" segments
  std::map<std::string, std::string> headers;      // lower-case names
  std::string body;
  std::string remote_addr;
  // Who is calling, set by the server once the bearer token checked out:
  // the token's name and role ("viewer", "operator", "admin"); both empty
  // on public and webhook routes. Handlers that need more than the route's
  // policy (promotion to production) check `role`.
  std::string actor;
  std::string role;

  std::string Query(const std::string& key, const std::string& fallback = "") const;
  std::string Header(const std::string& lower_name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse Json(int status, const std::string& json);
  static HttpResponse Text(int status, std::string text);
  // RFC 7807 problem document: application/problem+json with type, title,
  // status, detail (and instance = the request path).
  static HttpResponse Problem(int status, const std::string& detail,
                              const std::string& instance = "");
};

using Handler = std::function<HttpResponse(const HttpRequest&)>;

class Router {
 public:
  // `pattern` is a path with "{name}" segments, e.g. "/api/v1/runs/{id}".
  void Add(const std::string& method, const std::string& pattern, Handler handler);
  // 404 for an unknown path, 405 (with Allow) for a known path and another
  // method, 400 when a path parameter holds a control byte. Fills
  // req->path_params.
  HttpResponse Dispatch(HttpRequest* req) const;
  // Route label for metrics: the matched pattern, or "unmatched".
  std::string RouteOf(const HttpRequest& req) const;
  // Every (method, pattern) added, in order: the daemon checks each has an
  // access policy before it starts serving.
  std::vector<std::pair<std::string, std::string>> Routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  const Route* Match(const std::string& method, const std::string& path,
                     std::map<std::string, std::string>* params, std::string* allow) const;
  std::vector<Route> routes_;
};

std::string UrlDecode(const std::string& s, bool plus_is_space);
// Empty when `path` (decoded, before any clean-up) is canonical: starts with
// '/', and has no empty, "." or ".." segment, no backslash, no trailing
// slash and no control byte (NUL, 0x01-0x1f, 0x7f); else why not. The
// server refuses other paths with 400 instead of letting them reach a route
// as another path ("/a/x/../b" folded to "/a/b"; "a%00b" read as "a" by
// whatever stops at the NUL).
std::string NonCanonicalPathReason(const std::string& path);
std::map<std::string, std::string> ParseQuery(const std::string& q);
std::string StatusText(int status);

}  // namespace mlops::api
