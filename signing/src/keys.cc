// Ed25519 key pairs through the OpenSSL 3 EVP API. Private keys are PKCS#8
// PEM files that only their owner may read: Load refuses any group/other
// permission, and GenerateKeyPair creates the file 0600 with O_EXCL so an
// existing key is never overwritten and no other user ever sees the bytes.
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>

#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "mlops/signing/signing.h"
#include "openssl_error.h"

namespace mlops::signing {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

std::string ModeText(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Key id and PEM of the public half of `pkey` (Ed25519 only).
Status DescribePublic(EVP_PKEY* pkey, PublicKey* out) {
  if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
    return Status::InvalidArgument("not an Ed25519 key (only Ed25519 is supported)");
  }
  unsigned char raw[32];
  size_t raw_len = sizeof(raw);
  if (EVP_PKEY_get_raw_public_key(pkey, raw, &raw_len) != 1 || raw_len != sizeof(raw)) {
    return Status::InvalidArgument("cannot read the raw Ed25519 public key: " + OpenSslError());
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey) != 1) {
    return Status::IOError("cannot encode the public key as PEM: " + OpenSslError());
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  out->pem.assign(data, static_cast<size_t>(len));
  out->key_id = Sha256Hex(std::string_view(reinterpret_cast<const char*>(raw), raw_len));
  return Status::OK();
}

// Writes `data` to a new file (O_EXCL) with exactly `mode`, durably.
Status WriteNewFile(const std::string& path, const std::string& data, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return Status::FromErrno("cannot create " + path, errno);
  // The umask may have taken bits away (never added any); set exactly.
  Status st;
  if (::fchmod(fd, mode) != 0) st = Status::FromErrno("cannot chmod " + path, errno);
  size_t off = 0;
  while (st.ok() && off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      st = Status::FromErrno("cannot write " + path, errno);
      break;
    }
    off += static_cast<size_t>(n);
  }
  if (st.ok() && ::fsync(fd) != 0) st = Status::FromErrno("cannot sync " + path, errno);
  ::close(fd);
  if (!st.ok()) ::unlink(path.c_str());
  return st;
}

PkeyPtr PublicFromPem(const std::string& pem, std::string* error) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr pkey(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!pkey) *error = "not a PEM public key (expected '-----BEGIN PUBLIC KEY-----'): " +
                      OpenSslError();
  return pkey;
}

}  // namespace

Status GenerateKeyPair(const std::string& private_path, const std::string& public_path,
                       PublicKey* out) {
  for (const std::string& p : {private_path, public_path}) {
    struct stat st;
    if (::lstat(p.c_str(), &st) == 0) {
      return Status::Conflict("refusing to overwrite existing file " + p);
    }
  }
  EVP_PKEY* raw = nullptr;
  std::unique_ptr<EVP_PKEY_CTX, void (*)(EVP_PKEY_CTX*)> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    return Status::IOError("cannot generate an Ed25519 key: " + OpenSslError());
  }
  PkeyPtr pkey(raw);
  PublicKey pub;
  MLOPS_RETURN_IF_ERROR(DescribePublic(pkey.get(), &pub));

  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    return Status::IOError("cannot encode the private key: " + OpenSslError());
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<size_t>(len));
  Status st = WriteNewFile(private_path, pem, 0600);
  OPENSSL_cleanse(pem.data(), pem.size());
  MLOPS_RETURN_IF_ERROR(st);
  st = WriteNewFile(public_path, pub.pem, 0644);
  if (!st.ok()) {
    ::unlink(private_path.c_str());  // no half key pair left behind
    return st;
  }
  if (out != nullptr) *out = pub;
  return Status::OK();
}

Status ParsePublicKey(const std::string& pem, PublicKey* out) {
  std::string error;
  PkeyPtr pkey = PublicFromPem(pem, &error);
  if (!pkey) return Status::InvalidArgument(error);
  return DescribePublic(pkey.get(), out);
}

Status ReadPublicKeyFile(const std::string& path, PublicKey* out) {
  std::string pem;
  MLOPS_RETURN_IF_ERROR(ReadFile(path, &pem));
  Status st = ParsePublicKey(pem, out);
  if (!st.ok()) return Status::InvalidArgument("public key file " + path + ": " + st.message());
  return Status::OK();
}

Status LoadTrustedKeys(const std::vector<std::string>& public_key_files,
                       std::vector<TrustedKey>* out) {
  out->clear();
  for (const std::string& file : public_key_files) {
    TrustedKey k;
    MLOPS_RETURN_IF_ERROR(ReadPublicKeyFile(file, &k.key));
    out->push_back(std::move(k));
  }
  return Status::OK();
}

void MarkRevoked(const std::vector<std::string>& key_ids, std::vector<TrustedKey>* keys) {
  for (const std::string& id : key_ids) {
    for (TrustedKey& k : *keys) {
      if (k.key.key_id == id) k.revoked = true;
    }
  }
}

PrivateKey::~PrivateKey() { EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_)); }

PrivateKey::PrivateKey(PrivateKey&& o) noexcept : pkey_(o.pkey_), public_(std::move(o.public_)) {
  o.pkey_ = nullptr;
}

PrivateKey& PrivateKey::operator=(PrivateKey&& o) noexcept {
  if (this != &o) {
    EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_));
    pkey_ = o.pkey_;
    o.pkey_ = nullptr;
    public_ = std::move(o.public_);
  }
  return *this;
}

Status PrivateKey::Load(const std::string& path, PrivateKey* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("private key file " + path + " does not exist");
    if (errno == ELOOP) {
      return Status::PermissionDenied("private key file " + path +
                                      " is a symlink; point to the key file itself");
    }
    return Status::FromErrno("cannot open private key file " + path, errno);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return Status::FromErrno("cannot stat private key file " + path, e);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument("private key file " + path + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return Status::PermissionDenied("private key file " + path + " has mode " +
                                    ModeText(st.st_mode) +
                                    ": group and others must have no access (chmod 600 " + path +
                                    ")");
  }
  std::string pem;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pem.append(buf, static_cast<size_t>(n));
    if (pem.size() > (1 << 16)) break;  // an Ed25519 PEM is ~120 bytes
  }
  ::close(fd);
  OPENSSL_cleanse(buf, sizeof(buf));
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr pkey(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!pkey) {
    return Status::InvalidArgument("private key file " + path +
                                   " is not a PKCS#8 PEM private key: " + OpenSslError());
  }
  PublicKey pub;
  Status d = DescribePublic(pkey.get(), &pub);
  if (!d.ok()) return Status::InvalidArgument("private key file " + path + ": " + d.message());
  EVP_PKEY_free(static_cast<EVP_PKEY*>(out->pkey_));
  out->pkey_ = pkey.release();
  out->public_ = std::move(pub);
  return Status::OK();
}

Status PrivateKey::Sign(const std::string& message, std::string* signature) const {
  if (pkey_ == nullptr) return Status::InvalidArgument("no private key loaded");
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  // Ed25519 is "pure": no digest is named, the whole message is signed.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr,
                                 static_cast<EVP_PKEY*>(pkey_)) != 1) {
    return Status::IOError("cannot start signing: " + OpenSslError());
  }
  size_t len = 64;
  signature->assign(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature->data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    return Status::IOError("cannot sign: " + OpenSslError());
  }
  signature->resize(len);
  return Status::OK();
}

Status VerifySignature(const PublicKey& key, const std::string& message,
                       const std::string& signature) {
  std::string error;
  PkeyPtr pkey = PublicFromPem(key.pem, &error);
  if (!pkey) return Status::InvalidArgument("key " + key.key_id + ": " + error);
  if (EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519) {
    return Status::InvalidArgument("key " + key.key_id + " is not an Ed25519 key");
  }
  if (signature.size() != 64) {
    return Status::PermissionDenied("bad signature by key " + key.key_id + ": " +
                                    std::to_string(signature.size()) +
                                    " bytes, an Ed25519 signature has 64");
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
    return Status::IOError("cannot start verifying: " + OpenSslError());
  }
  int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(),
                            reinterpret_cast<const unsigned char*>(message.data()),
                            message.size());
  ERR_clear_error();
  if (rc != 1) {
    return Status::PermissionDenied("bad signature: the content was not signed by key " +
                                    key.key_id + " or was changed after signing");
  }
  return Status::OK();
}

}  // namespace mlops::signing
