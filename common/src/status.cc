#include "mlops/common/status.h"

#include <cstring>

namespace mlops {

Status Status::FromErrno(const std::string& what, int errno_value) {
  return IOError(what + ": " + std::strerror(errno_value));
}

std::string Status::ToString() const {
  const char* name = "OK";
  switch (code_) {
    case Code::kOk: return "OK";
    case Code::kNotFound: name = "not found"; break;
    case Code::kInvalidArgument: name = "invalid argument"; break;
    case Code::kCorruption: name = "corruption"; break;
    case Code::kIOError: name = "I/O error"; break;
    case Code::kConflict: name = "conflict"; break;
    case Code::kUnavailable: name = "unavailable"; break;
    case Code::kPermissionDenied: name = "permission denied"; break;
  }
  return std::string(name) + ": " + message_;
}

}  // namespace mlops
