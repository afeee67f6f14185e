#include "api/bearer.h"

#include <cctype>

namespace mlops::api {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<std::string_view> BearerToken(std::string_view header) {
  const size_t sp = header.find(' ');
  if (sp == std::string_view::npos || !IEquals(header.substr(0, sp), "Bearer")) return std::nullopt;
  std::string_view token = header.substr(sp + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty() || token.find(' ') != std::string_view::npos) return std::nullopt;
  return token;
}

HttpResponse Unauthorized(const std::string& detail, const std::string& error,
                          const std::string& instance, const std::string& realm) {
  HttpResponse r = HttpResponse::Problem(401, detail, instance);
  std::string challenge = "Bearer realm=\"" + realm + "\"";
  if (!error.empty()) challenge += ", error=\"" + error + "\"";
  r.headers.emplace_back("WWW-Authenticate", challenge);
  return r;
}

}  // namespace mlops::api
