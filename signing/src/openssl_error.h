// The newest OpenSSL error queue entry as text, for Status messages.
#pragma once

#include <openssl/err.h>

#include <string>

namespace mlops::signing {

inline std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

}  // namespace mlops::signing
