// SHA-256 through OpenSSL's EVP interface, with large reads.
// Thread-safety: Sha256 objects are single-threaded; the free functions are
// safe to call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mlops/common/status.h"

namespace mlops {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  // Lower-case hex of the digest. REQUIRES: called once.
  std::string HexDigest();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string Sha256Hex(std::string_view data);

// A read buffer for hashing a file of `size` bytes (negative: unknown):
// large enough to see a small file's end in one read, never larger than
// 1 MiB (large reads keep EVP on its fast path), left uninitialised
// (clearing 1 MiB per small file costs more than hashing it). Sets *n.
std::unique_ptr<char[]> HashBuffer(int64_t size, size_t* n);

// Hashes a regular file. On success *hex holds the digest and *size the byte
// count read.
Status Sha256File(const std::string& path, std::string* hex, uint64_t* size);

// True when s is 64 lower-case hex characters.
bool IsSha256Hex(std::string_view s);

}  // namespace mlops
