// ArtifactStore: content-addressed files under <root>/sha256/ab/abcdef...
// A file enters by Ingest (hash, then temp -> fsync -> rename -> fsync dir);
// names are metadata in the registry, never paths here.
// Thread-safety: all methods are safe from any thread; concurrent ingests of
// the same content are idempotent.
#pragma once

#include <string>

#include "mlops/common/status.h"
#include "mlops/registry/records.h"

namespace mlops::registry {

class ArtifactStore {
 public:
  explicit ArtifactStore(std::string root);

  // Copies the regular file at `path` into the store. On success *out holds
  // its digest, size and media type (guessed from the extension when
  // `media_type` is empty). Symlinks and non-regular files are refused.
  Status Ingest(const std::string& path, const std::string& media_type, ArtifactRecord* out);

  // Where the content with this digest lives. REQUIRES: IsSha256Hex(sha256).
  std::string PathFor(const std::string& sha256) const;
  bool Contains(const std::string& sha256) const;

  // Copies the stored content to `dest` (creating parent folders), e.g. to
  // restore the outputs of a cached stage into a workspace.
  Status Materialize(const std::string& sha256, const std::string& dest) const;

  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

std::string GuessMediaType(const std::string& name);

}  // namespace mlops::registry
