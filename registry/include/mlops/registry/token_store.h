// TokenStore: the API's bearer tokens (docs/security.md). A token is "mlt_" and 64
// hex digits (32 bytes from OpenSSL's RAND_bytes); only its SHA-256 is
// stored, so a copy of registry.db grants nothing. The clear token exists
// once, in the answer to Create.
// Thread-safety: all methods may be called from any thread (one mutex
// around its own SQLite connection on registry.db).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mlops/common/status.h"

namespace mlops::registry {

struct TokenRecord {
  int64_t id = 0;
  std::string name;
  std::string role;  // "predictor", "viewer", "operator" or "admin"
  int64_t created_ms = 0;
  std::string created_by;
  int64_t revoked_ms = 0;    // 0 while live
  int64_t last_used_ms = 0;  // 0 when never used
};

// The API's roles in increasing order of power; -1 for anything else,
// "predictor" included: it may only predict (mlops-serve, predict_roles in
// docs/config.md) and reads nothing of the API.
int RoleRank(std::string_view role);
// Whether a token may have this role: an API role or "predictor".
bool IsTokenRole(std::string_view role);
// Token names: 1..64 of [A-Za-z0-9._-], starting with a letter or digit.
Status CheckTokenName(std::string_view name);
// "mlt_" followed by exactly 64 lower-case hex digits.
bool LooksLikeToken(std::string_view token);

class TokenStore {
 public:
  ~TokenStore();
  TokenStore(const TokenStore&) = delete;
  TokenStore& operator=(const TokenStore&) = delete;

  // A new token. InvalidArgument for a bad name or role, Conflict when the
  // name is taken (revoked tokens keep their names). *secret gets the token.
  Status Create(const std::string& name, const std::string& role, const std::string& created_by,
                int64_t now_ms, TokenRecord* record, std::string* secret);
  // The live token whose hash matches. PermissionDenied (with a message that
  // never holds the token) when it is malformed, unknown or revoked.
  // Updates last_used_ms at most once a minute per token, except on a
  // read-only store, which never writes.
  Status Authenticate(std::string_view secret, int64_t now_ms, TokenRecord* record);
  Status List(std::vector<TokenRecord>* out);
  Status Get(int64_t id, TokenRecord* out);
  // NotFound for an unknown id; Conflict when already revoked, or when it
  // is the last live admin token (checked in the same transaction, so two
  // concurrent revocations cannot lock every admin out).
  Status Revoke(int64_t id, int64_t now_ms, TokenRecord* record);
  Status CountLiveAdmins(int* count);

 private:
  friend Status OpenSqliteTokenStore(const std::string&, std::unique_ptr<TokenStore>*);
  friend Status OpenSqliteTokenStoreReadOnly(const std::string&, std::unique_ptr<TokenStore>*);
  struct Impl;
  explicit TokenStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Opens (and migrates) the registry at `path` with a connection of its own.
Status OpenSqliteTokenStore(const std::string& path, std::unique_ptr<TokenStore>* out);
// Opens an existing registry read-only (mlops-serve): Authenticate never
// writes; Create and Revoke fail with PermissionDenied.
Status OpenSqliteTokenStoreReadOnly(const std::string& path, std::unique_ptr<TokenStore>* out);

}  // namespace mlops::registry
