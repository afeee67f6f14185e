// A tiny blocking HTTP/1.1 client for the access tests: sends the request
// line exactly as given (no normalisation of "..", no encoding), so that
// hostile paths reach the daemon byte for byte.
#pragma once

#include <map>
#include <string>

namespace mlops::access_test {

struct RawResponse {
  int status = 0;  // 0: no answer (connection failed or closed)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// `addr` is "HOST:PORT". `target` goes on the request line as it is.
RawResponse RawHttp(const std::string& addr, const std::string& method, const std::string& target,
                    const std::map<std::string, std::string>& headers = {},
                    const std::string& body = "");

// Percent-encodes every byte outside [A-Za-z0-9-._~].
std::string PercentEncode(const std::string& s);

}  // namespace mlops::access_test
