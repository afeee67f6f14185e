#include "api/http.h"

#include "api/json_response.h"

#include <nlohmann/json.hpp>

namespace mlops::api {
namespace {

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    if (next > pos) out.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return out;
}

// Offset of the first control byte (0x00-0x1f, 0x7f) of `s`, or npos.
size_t ControlByteAt(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return i;
  }
  return std::string::npos;
}

}  // namespace

std::string HttpRequest::Query(const std::string& key, const std::string& fallback) const {
  auto it = query.find(key);
  return it == query.end() ? fallback : it->second;
}

std::string HttpRequest::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

HttpResponse HttpResponse::Json(int status, const std::string& json) {
  HttpResponse r;
  r.status = status;
  r.body = json;
  return r;
}

HttpResponse HttpResponse::Text(int status, std::string text) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(text);
  return r;
}

HttpResponse HttpResponse::Problem(int status, const std::string& detail,
                                   const std::string& instance) {
  nlohmann::json j = {{"type", "about:blank"},
                      {"title", StatusText(status)},
                      {"status", status},
                      {"detail", detail}};
  if (!instance.empty()) j["instance"] = instance;
  HttpResponse r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

void Router::Add(const std::string& method, const std::string& pattern, Handler handler) {
  routes_.push_back({method, pattern, SplitPath(pattern), std::move(handler)});
}

const Router::Route* Router::Match(const std::string& method, const std::string& path,
                                   std::map<std::string, std::string>* params,
                                   std::string* allow) const {
  const auto segs = SplitPath(path);
  for (const auto& r : routes_) {
    if (r.segments.size() != segs.size()) continue;
    std::map<std::string, std::string> p;
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      const std::string& want = r.segments[i];
      if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
        p[want.substr(1, want.size() - 2)] = segs[i];
      } else {
        ok = want == segs[i];
      }
    }
    if (!ok) continue;
    if (r.method == method || (method == "HEAD" && r.method == "GET")) {
      *params = std::move(p);
      return &r;
    }
    if (allow) allow->append(allow->empty() ? r.method : ", " + r.method);
  }
  return nullptr;
}

HttpResponse Router::Dispatch(HttpRequest* req) const {
  std::string allow;
  const Route* r = Match(req->method, req->path, &req->path_params, &allow);
  if (!r) {
    if (!allow.empty()) {
      HttpResponse resp = HttpResponse::Problem(
          405, "method " + req->method + " is not allowed here; allowed: " + allow, req->path);
      resp.headers.emplace_back("Allow", allow);
      return resp;
    }
    return HttpResponse::Problem(404, "no such endpoint: " + req->path, req->path);
  }
  for (const auto& [name, value] : req->path_params) {
    if (const size_t at = ControlByteAt(value); at != std::string::npos) {
      return HttpResponse::Problem(400, "path parameter '" + name + "' holds a control byte at offset " +
                                            std::to_string(at), req->path);
    }
  }
  return r->handler(*req);
}

std::string Router::RouteOf(const HttpRequest& req) const {
  std::map<std::string, std::string> params;
  const Route* r = Match(req.method, req.path, &params, nullptr);
  return r ? r->pattern : "unmatched";
}

std::vector<std::pair<std::string, std::string>> Router::Routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : routes_) out.emplace_back(r.method, r.pattern);
  return out;
}

std::string NonCanonicalPathReason(const std::string& path) {
  if (path.empty() || path[0] != '/') return "the path must start with '/'";
  if (path == "/") return "";
  if (const size_t at = ControlByteAt(path); at != std::string::npos) {
    return "the path must not contain control bytes (one at offset " + std::to_string(at) + ")";
  }
  if (path.find('\\') != std::string::npos) return "the path must not contain '\\'";
  if (path.back() == '/') return "the path must not end with '/'";
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    const std::string seg = path.substr(pos, next - pos);
    if (seg.empty()) return "the path must not contain empty segments ('//')";
    if (seg == "." || seg == "..") return "the path must not contain '.' or '..' segments";
    pos = next + 1;
  }
  return "";
}

std::string UrlDecode(const std::string& s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::map<std::string, std::string> ParseQuery(const std::string& q) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos < q.size()) {
    size_t amp = q.find('&', pos);
    if (amp == std::string::npos) amp = q.size();
    std::string kv = q.substr(pos, amp - pos);
    size_t eq = kv.find('=');
    if (!kv.empty()) {
      out[UrlDecode(kv.substr(0, eq), true)] =
          eq == std::string::npos ? "" : UrlDecode(kv.substr(eq + 1), true);
    }
    pos = amp + 1;
  }
  return out;
}

std::string StatusText(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status " + std::to_string(status);
  }
}

HttpResponse FromStatus(const Status& s, const std::string& instance) {
  int code = 500;
  switch (s.code()) {
    case Status::Code::kNotFound: code = 404; break;
    case Status::Code::kInvalidArgument: code = 400; break;
    case Status::Code::kConflict: code = 409; break;
    case Status::Code::kUnavailable: code = 503; break;
    case Status::Code::kPermissionDenied: code = 403; break;
    default: code = 500;
  }
  return HttpResponse::Problem(code, s.message(), instance);
}

HttpResponse Ok(const nlohmann::json& j, int status) {
  return HttpResponse::Json(status,
                            j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace mlops::api
