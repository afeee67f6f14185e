// The daemon's own signing key: a daemon started without a configured
// `signing_key` makes an Ed25519 key pair in its state folder at its first
// start (signing.key 0600, signing.pub 0644) and uses it from then on, so
// that every shipped pipeline reaches a signed, staged model version with no
// configuration. A configured key always wins. The key is trusted for the
// daemon's own models like a configured one (ModelService::LoadTrust).
// Not thread-safe: called once while the daemon starts.
#pragma once

#include <string>

#include "mlops/common/status.h"

namespace mlops::models {

inline constexpr const char* kOwnSigningKeyFile = "signing.key";
inline constexpr const char* kOwnSigningPublicFile = "signing.pub";

// Returns in *path the key the daemon signs with: `configured` when it is
// not empty; otherwise <state_dir>/signing.key, made (with its public half)
// when absent and logged once with its key id. A private key found without
// its public half, or unreadable, is an error naming the file.
Status EnsureSigningKey(const std::string& state_dir, const std::string& configured,
                        std::string* path);

}  // namespace mlops::models
