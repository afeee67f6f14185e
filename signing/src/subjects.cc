// Subject names are untrusted input from a signed (but possibly hostile or
// mistaken) manifest and later become paths under an artifact folder, so
// only one clean spelling of a relative path is accepted.
#include <cstdio>

#include "mlops/signing/signing.h"

namespace mlops::signing {
namespace {

// The name with control characters and backslashes made visible.
std::string Escaped(const std::string& name) {
  std::string out;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f || c == '\\' || c == '"') {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

Status CheckSubjectName(const std::string& name) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("subject name \"" + Escaped(name) + "\" " + why);
  };
  if (name.empty()) return bad("is empty");
  if (name.size() > 4096) return bad("is longer than 4096 bytes");
  if (name[0] == '/') return bad("is absolute; names are relative to the artifact folder");
  for (unsigned char c : name) {
    if (c == 0) return bad("contains a NUL byte");
    if (c < 0x20 || c == 0x7f) return bad("contains a control character");
    if (c == '\\') return bad("contains a backslash; names are '/'-separated");
  }
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    std::string part = name.substr(start, end - start);
    if (part == "..") return bad("contains '..'; names must stay inside the artifact folder");
    if (part == ".") return bad("contains a '.' component");
    if (part.empty()) return bad("contains an empty component ('//' or a trailing '/')");
    start = end + 1;
  }
  return Status::OK();
}

}  // namespace mlops::signing
