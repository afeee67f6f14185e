#include "models/own_signing_key.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "mlops/common/files.h"
#include "mlops/signing/signing.h"

namespace mlops::models {

Status EnsureSigningKey(const std::string& state_dir, const std::string& configured,
                        std::string* path) {
  if (!configured.empty()) {
    *path = configured;
    return Status::OK();
  }
  const std::string key = JoinPath(state_dir, kOwnSigningKeyFile);
  const std::string pub = JoinPath(state_dir, kOwnSigningPublicFile);
  struct stat st{};
  if (::stat(key.c_str(), &st) == 0) {
    signing::PrivateKey loaded;
    Status s = signing::PrivateKey::Load(key, &loaded);
    if (!s.ok()) return Status::InvalidArgument("the daemon's own signing key: " + s.message());
    *path = key;
    return Status::OK();
  }
  signing::PublicKey made;
  Status s = signing::GenerateKeyPair(key, pub, &made);
  if (!s.ok()) return Status::IOError("cannot make the daemon's own signing key: " + s.message());
  spdlog::info("made a signing key for this daemon's models: key id {} in {} (public half {}); "
               "set signing_key in the config to sign with a key of your own",
               made.key_id, key, pub);
  *path = key;
  return Status::OK();
}

}  // namespace mlops::models
