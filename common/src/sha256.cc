#include "mlops/common/sha256.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

namespace mlops {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

namespace {

// Fetched once: EVP_sha256() in a DigestInit makes OpenSSL 3 look the
// algorithm up in its provider tables (locks, a property query) on every
// hash, which cost more than hashing a small file.
const EVP_MD* Sha256Algorithm() {
  static const EVP_MD* const md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return md;
}

}  // namespace

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(impl_->ctx, Sha256Algorithm(), nullptr);
}

Sha256::~Sha256() { EVP_MD_CTX_free(impl_->ctx); }

void Sha256::Update(const void* data, size_t size) { EVP_DigestUpdate(impl_->ctx, data, size); }

std::string Sha256::HexDigest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, md, &len);
  static const char kHex[] = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 0xf];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.HexDigest();
}

std::unique_ptr<char[]> HashBuffer(int64_t size, size_t* n) {
  constexpr size_t kChunk = 1 << 20;
  *n = size < 0 ? kChunk : std::clamp<size_t>(static_cast<size_t>(size) + 1, 4096, kChunk);
  return std::unique_ptr<char[]>(new char[*n]);
}

Status Sha256File(const std::string& path, std::string* hex, uint64_t* size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("cannot open " + path, errno);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  struct stat st {};
  size_t chunk = 0;
  std::unique_ptr<char[]> buf = HashBuffer(::fstat(fd, &st) == 0 ? st.st_size : -1, &chunk);
  Sha256 h;
  uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf.get(), chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return Status::FromErrno("cannot read " + path, e);
    }
    if (n == 0) break;
    h.Update(buf.get(), static_cast<size_t>(n));
    total += static_cast<uint64_t>(n);
  }
  ::close(fd);
  *hex = h.HexDigest();
  if (size) *size = total;
  return Status::OK();
}

bool IsSha256Hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace mlops
