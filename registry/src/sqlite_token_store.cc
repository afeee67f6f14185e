#include "mlops/registry/token_store.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <mutex>

#include "mlops/common/sha256.h"
#include "sqlite_db.h"
#include "sqlite_schema.h"

namespace mlops::registry {
namespace {

using internal::SqliteDb;
using internal::Stmt;
using internal::Txn;

constexpr std::string_view kPrefix = "mlt_";
constexpr const char* kCols =
    "SELECT id, name, role, created_ms, created_by, revoked_ms, last_used_ms FROM api_tokens ";
// A token's last use is recorded at most this often: a write per request
// would put every API call behind the registry's write lock.
constexpr int64_t kLastUsedResolutionMs = 60'000;

void ReadToken(const Stmt& s, TokenRecord* t) {
  t->id = s.Int64(0);
  t->name = s.Text(1);
  t->role = s.Text(2);
  t->created_ms = s.Int64(3);
  t->created_by = s.Text(4);
  t->revoked_ms = s.IsNull(5) ? 0 : s.Int64(5);
  t->last_used_ms = s.IsNull(6) ? 0 : s.Int64(6);
}

Status NewSecret(std::string* out) {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return Status::IOError("OpenSSL RAND_bytes could not make a token");
  }
  static const char kHex[] = "0123456789abcdef";
  std::string s(kPrefix);
  for (unsigned char b : bytes) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 0xf]);
  }
  OPENSSL_cleanse(bytes, sizeof bytes);
  *out = std::move(s);
  return Status::OK();
}

}  // namespace

int RoleRank(std::string_view role) {
  if (role == "viewer") return 0;
  if (role == "operator") return 1;
  if (role == "admin") return 2;
  return -1;
}

bool IsTokenRole(std::string_view role) { return RoleRank(role) >= 0 || role == "predictor"; }

Status CheckTokenName(std::string_view name) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  bool ok = !name.empty() && name.size() <= 64 && alnum(name[0]);
  for (char c : name) ok = ok && (alnum(c) || c == '.' || c == '_' || c == '-');
  if (!ok) {
    return Status::InvalidArgument(
        "token name must be 1 to 64 characters of letters, digits, '.', '_' or '-', starting "
        "with a letter or digit");
  }
  return Status::OK();
}

bool LooksLikeToken(std::string_view token) {
  if (token.size() != kPrefix.size() + 64 || !token.starts_with(kPrefix)) return false;
  for (char c : token.substr(kPrefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

struct TokenStore::Impl {
  std::mutex mu;
  std::unique_ptr<SqliteDb> db;
  bool read_only = false;

  Status Select(const std::string& where, int64_t id, TokenRecord* out) {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(db->Prepare(std::string(kCols) + where, &s));
    s.Bind(1, id);
    bool row = false;
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    if (!row) return Status::NotFound("no token with id " + std::to_string(id));
    ReadToken(s, out);
    return Status::OK();
  }
};

TokenStore::TokenStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TokenStore::~TokenStore() = default;

Status OpenSqliteTokenStore(const std::string& path, std::unique_ptr<TokenStore>* out) {
  auto impl = std::make_unique<TokenStore::Impl>();
  MLOPS_RETURN_IF_ERROR(internal::OpenRegistryDb(path, &impl->db));
  out->reset(new TokenStore(std::move(impl)));
  return Status::OK();
}

Status OpenSqliteTokenStoreReadOnly(const std::string& path, std::unique_ptr<TokenStore>* out) {
  auto impl = std::make_unique<TokenStore::Impl>();
  MLOPS_RETURN_IF_ERROR(internal::OpenRegistryDbReadOnly(path, &impl->db));
  impl->read_only = true;
  out->reset(new TokenStore(std::move(impl)));
  return Status::OK();
}

Status TokenStore::Create(const std::string& name, const std::string& role,
                          const std::string& created_by, int64_t now_ms, TokenRecord* record,
                          std::string* secret) {
  MLOPS_RETURN_IF_ERROR(CheckTokenName(name));
  if (!IsTokenRole(role)) {
    return Status::InvalidArgument("role must be predictor, viewer, operator or admin");
  }
  std::string token;
  MLOPS_RETURN_IF_ERROR(NewSecret(&token));
  std::lock_guard<std::mutex> lock(impl_->mu);
  Txn txn(impl_->db.get(), Txn::Mode::kWrite);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(impl_->db->Prepare("SELECT 1 FROM api_tokens WHERE name = ?1", &s));
    s.Bind(1, name);
    bool row = false;
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    if (row) return Status::Conflict("a token named '" + name + "' already exists");
  }
  {
    Stmt s;
    MLOPS_RETURN_IF_ERROR(impl_->db->Prepare(
        "INSERT INTO api_tokens (name, role, token_sha256, created_ms, created_by) "
        "VALUES (?1, ?2, ?3, ?4, ?5)",
        &s));
    s.Bind(1, name);
    s.Bind(2, role);
    s.Bind(3, Sha256Hex(token));
    s.Bind(4, now_ms);
    s.Bind(5, created_by);
    MLOPS_RETURN_IF_ERROR(s.Run());
  }
  const int64_t id = impl_->db->LastInsertId();
  MLOPS_RETURN_IF_ERROR(txn.Commit());
  *record = TokenRecord{id, name, role, now_ms, created_by, 0, 0};
  *secret = std::move(token);
  return Status::OK();
}

Status TokenStore::Authenticate(std::string_view secret, int64_t now_ms, TokenRecord* record) {
  // One message for every refusal: a caller learns nothing about which
  // tokens exist.
  const Status refused = Status::PermissionDenied("the bearer token is not valid");
  if (!LooksLikeToken(secret)) return refused;
  const std::string hash = Sha256Hex(secret);
  std::lock_guard<std::mutex> lock(impl_->mu);
  Stmt s;
  MLOPS_RETURN_IF_ERROR(impl_->db->Prepare(
      "SELECT id, name, role, created_ms, created_by, revoked_ms, last_used_ms, token_sha256 "
      "FROM api_tokens WHERE token_sha256 = ?1",
      &s));
  s.Bind(1, hash);
  bool row = false;
  MLOPS_RETURN_IF_ERROR(s.Step(&row));
  if (!row) return refused;
  // The index found the row; the constant-time compare is what decides.
  const std::string stored = s.Text(7);
  if (stored.size() != hash.size() ||
      CRYPTO_memcmp(stored.data(), hash.data(), hash.size()) != 0) {
    return refused;
  }
  TokenRecord t;
  ReadToken(s, &t);
  if (t.revoked_ms != 0) return refused;
  if (!impl_->read_only &&
      (t.last_used_ms == 0 || now_ms - t.last_used_ms >= kLastUsedResolutionMs)) {
    Stmt u;
    MLOPS_RETURN_IF_ERROR(
        impl_->db->Prepare("UPDATE api_tokens SET last_used_ms = ?1 WHERE id = ?2", &u));
    u.Bind(1, now_ms);
    u.Bind(2, t.id);
    // Only bookkeeping: a busy registry must not refuse a valid token.
    if (u.Run().ok()) t.last_used_ms = now_ms;
  }
  *record = std::move(t);
  return Status::OK();
}

Status TokenStore::List(std::vector<TokenRecord>* out) {
  out->clear();
  std::lock_guard<std::mutex> lock(impl_->mu);
  Stmt s;
  MLOPS_RETURN_IF_ERROR(impl_->db->Prepare(std::string(kCols) + "ORDER BY id", &s));
  bool row = false;
  while (true) {
    MLOPS_RETURN_IF_ERROR(s.Step(&row));
    if (!row) break;
    ReadToken(s, &out->emplace_back());
  }
  return Status::OK();
}

Status TokenStore::Get(int64_t id, TokenRecord* out) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->Select("WHERE id = ?1", id, out);
}

Status TokenStore::Revoke(int64_t id, int64_t now_ms, TokenRecord* record) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Txn txn(impl_->db.get(), Txn::Mode::kWrite);
  MLOPS_RETURN_IF_ERROR(txn.Begin());
  TokenRecord t;
  MLOPS_RETURN_IF_ERROR(impl_->Select("WHERE id = ?1", id, &t));
  if (t.revoked_ms != 0) {
    return Status::Conflict("token " + std::to_string(id) + " ('" + t.name +
                            "') is already revoked");
  }
  if (t.role == "admin") {
    Stmt c;
    MLOPS_RETURN_IF_ERROR(impl_->db->Prepare(
        "SELECT COUNT(*) FROM api_tokens WHERE role = 'admin' AND revoked_ms IS NULL", &c));
    bool row = false;
    MLOPS_RETURN_IF_ERROR(c.Step(&row));
    if (row && c.Int(0) <= 1) {
      return Status::Conflict("token " + std::to_string(id) + " ('" + t.name +
                              "') is the last live admin token; create another admin token "
                              "before revoking it");
    }
  }
  Stmt s;
  MLOPS_RETURN_IF_ERROR(
      impl_->db->Prepare("UPDATE api_tokens SET revoked_ms = ?1 WHERE id = ?2", &s));
  s.Bind(1, now_ms);
  s.Bind(2, id);
  MLOPS_RETURN_IF_ERROR(s.Run());
  MLOPS_RETURN_IF_ERROR(txn.Commit());
  t.revoked_ms = now_ms;
  *record = std::move(t);
  return Status::OK();
}

Status TokenStore::CountLiveAdmins(int* count) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Stmt s;
  MLOPS_RETURN_IF_ERROR(impl_->db->Prepare(
      "SELECT COUNT(*) FROM api_tokens WHERE role = 'admin' AND revoked_ms IS NULL", &s));
  bool row = false;
  MLOPS_RETURN_IF_ERROR(s.Step(&row));
  *count = row ? s.Int(0) : 0;
  return Status::OK();
}

}  // namespace mlops::registry
