// A small blocking HTTP/1.1 client for mlctl: one request per connection
// (Connection: close), plain TCP, loopback or any reachable host.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "mlops/common/status.h"

namespace mlops::ctl {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// `server` is "http://HOST:PORT" (a trailing slash is ignored). A non-empty
// `bearer_token` is sent as "Authorization: Bearer TOKEN". Unavailable when
// the daemon cannot be reached; InvalidArgument for a malformed server or a
// token holding a control character or space.
Status HttpCall(const std::string& server, const std::string& method, const std::string& path,
                const std::string& body, HttpResult* out,
                std::chrono::milliseconds timeout = std::chrono::seconds(30),
                const std::string& bearer_token = "");

// Percent-encodes a path segment or query value.
std::string UrlEncode(const std::string& s);

}  // namespace mlops::ctl
