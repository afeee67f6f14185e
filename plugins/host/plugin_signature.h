// Detached plugin signatures, checked by the stage host BEFORE dlopen: when
// the daemon requires them it names the trusted public key files in
// MLOPS_PLUGIN_TRUSTED_KEYS (signing.h, kPluginKeysEnv), and the ids of the
// keys revoked since in MLOPS_PLUGIN_REVOKED_KEY_IDS. The plugin file is
// opened once, hashed from that descriptor and loaded through it
// (/proc/self/fd/N), so the bytes checked are the bytes mapped.
#pragma once

#include <string>

namespace mlops::host {

// When no keys are configured: true, *fd = -1 (load by path). Otherwise
// true only if `<path>.sig` is a valid signature of the file by a trusted
// key; *fd is then an open descriptor of the checked file (the caller loads
// it and closes it). On refusal returns false with *error naming the file
// and why (missing, malformed, untrusted key, digest mismatch).
bool CheckPluginSignature(const std::string& path, int* fd, std::string* error);

}  // namespace mlops::host
