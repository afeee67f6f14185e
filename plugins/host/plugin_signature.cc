#include "plugin_signature.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "mlops/signing/signing.h"

namespace mlops::host {
namespace {

std::vector<std::string> SplitColons(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(':', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) parts.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

bool HashFd(int fd, std::string* hex) {
  std::vector<char> buf(1 << 20);
  Sha256 h;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) break;
    h.Update(buf.data(), static_cast<size_t>(n));
  }
  *hex = h.HexDigest();
  return true;
}

}  // namespace

bool CheckPluginSignature(const std::string& path, int* fd, std::string* error) {
  *fd = -1;
  const char* env = std::getenv(signing::kPluginKeysEnv);
  if (env == nullptr || *env == '\0') return true;
  const std::string prefix = "plugin " + path + " refused: ";
  std::vector<signing::TrustedKey> trusted;
  Status ks = signing::LoadTrustedKeys(SplitColons(env), &trusted);
  if (!ks.ok() || trusted.empty()) {
    *error = prefix + "plugin signatures are required but the trusted keys are unusable: " +
             (ks.ok() ? std::string("none given") : ks.message());
    return false;
  }
  if (const char* revoked = std::getenv(signing::kPluginRevokedKeysEnv); revoked != nullptr) {
    signing::MarkRevoked(SplitColons(revoked), &trusted);
  }
  std::string envelope;
  const std::string sig_path = path + ".sig";
  Status rs = ReadFile(sig_path, &envelope);
  if (!rs.ok()) {
    *error = prefix + "plugin signatures are required and " + sig_path +
             " cannot be read (" + rs.message() + "); sign it with `mlctl keys sign-file " +
             path + " --key KEY`";
    return false;
  }
  int f = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f < 0) {
    *error = prefix + "cannot open it: " + std::strerror(errno);
    return false;
  }
  std::string hex;
  if (!HashFd(f, &hex)) {
    *error = prefix + "cannot read it: " + std::strerror(errno);
    ::close(f);
    return false;
  }
  std::string key_id;
  Status vs = signing::VerifyFileDigest(path, hex, envelope, trusted, &key_id);
  if (!vs.ok()) {
    *error = prefix + "its signature " + sig_path + " does not check: " + vs.message();
    ::close(f);
    return false;
  }
  *fd = f;
  return true;
}

}  // namespace mlops::host
