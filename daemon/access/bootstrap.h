// Bootstrap of access control: a daemon with no live admin token makes one,
// so that a fresh install can be administered, and the state folder's
// permissions are what docs/security.md states (folder 0700, database 0600).
#pragma once

#include <string>

#include "mlops/common/status.h"

namespace mlops::registry {
class TokenStore;
}

namespace mlops::access {

inline constexpr const char* kAdminTokenFile = "admin.token";

// When `tokens` holds no live admin token: creates one named
// "bootstrap-admin" (or "bootstrap-admin-N" when that name is taken by a
// revoked token) and writes it, with a newline, to <state_dir>/admin.token
// (0600, atomically). Logs the path, never the token. *created tells
// whether a token was made.
Status EnsureAdminToken(registry::TokenStore* tokens, const std::string& state_dir,
                        int64_t now_ms, bool* created = nullptr);

// chmod 0700 on the state folder and 0600 on registry.db (and its -wal and
// -shm files when present); then checks the modes took. PermissionDenied
// naming the path otherwise.
Status EnforceStatePermissions(const std::string& state_dir);

}  // namespace mlops::access
