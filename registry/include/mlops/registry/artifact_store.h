// ArtifactStore: content-addressed files under <root>/sha256/ab/abcdef...
// A file enters by Ingest (hash, then temp -> fsync -> rename -> fsync dir);
// names are metadata in the registry, never paths here. Stored files are
// read-only (0444) in folders private to the daemon (0700); temporary files
// live in <root>/tmp.
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

  // Copies the regular file at `path` into the store; the content is hashed
  // as it is copied, so the digest names exactly the stored bytes. On
  // success *out holds its digest, size, media type (guessed from the
  // extension when `media_type` is empty) and created_ms = now. Content
  // already stored is not written again. NotFound when `path` does not
  // exist; symlinks and non-regular files are refused with InvalidArgument.
  Status Ingest(const std::string& path, const std::string& media_type, ArtifactRecord* out);

  // Where the content with this digest lives. REQUIRES: IsSha256Hex(sha256).
  std::string PathFor(const std::string& sha256) const;
  bool Contains(const std::string& sha256) const;

  // Copies the stored content to `dest` (creating parent folders), e.g. to
  // restore the outputs of a cached stage into a workspace. `dest` appears
  // whole (temp -> rename) with mode 0644, but is not fsynced: a workspace
  // is disposable. NotFound when the digest is not stored.
  Status Materialize(const std::string& sha256, const std::string& dest) const;

  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

// Media type from the file name's extension, case-insensitive (".csv" ->
// "text/csv", ".json" -> "application/json"); "application/octet-stream"
// for anything unknown, ".pt" included.
std::string GuessMediaType(const std::string& name);

}  // namespace mlops::registry
