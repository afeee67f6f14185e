// ArtifactStore: content-addressed files under <root>/sha256/ab/abcdef...
// A file enters by Ingest (hash; if new, temp -> fsync -> rename -> fsync dir);
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
  // How Materialize puts stored content into a workspace.
  enum class RestoreMode {
    // kLink when this process cannot write a read-only file it does not
    // own the write bit of (no CAP_DAC_OVERRIDE, as under the systemd unit),
    // kCopy otherwise (root would write through a link into the store).
    kAuto,
    // A hard link to the stored, read-only (0444) file where the file
    // system allows one; a copy otherwise (EXDEV, EMLINK, ...).
    kLink,
    kCopy,  // always a writable (0644) copy
  };

  explicit ArtifactStore(std::string root, RestoreMode restore = RestoreMode::kAuto);

  // Stores the regular file at `path`. It is read once to hash it; only when
  // that digest is not stored yet is it copied in (hashed again while
  // copying, so the digest names exactly the stored bytes even if the source
  // changes meanwhile; temp -> fsync -> rename -> fsync dir). Content already
  // stored costs one read and creates no file. On success *out holds its
  // digest, size, media type (guessed from the extension when `media_type`
  // is empty) and created_ms = now. NotFound when `path` does not exist;
  // symlinks and non-regular files are refused with InvalidArgument.
  Status Ingest(const std::string& path, const std::string& media_type, ArtifactRecord* out);

  // Where the content with this digest lives. REQUIRES: IsSha256Hex(sha256).
  std::string PathFor(const std::string& sha256) const;
  bool Contains(const std::string& sha256) const;

  // Puts the stored content at `dest` (creating parent folders), e.g. to
  // restore the outputs of a cached stage into a workspace: by the restore
  // mode, a hard link to the stored file (read-only: a stage that wants to
  // change it must replace it, not write into it) or a copy with mode 0644.
  // Either way `dest` appears whole (replacing what was there by rename)
  // and is not fsynced: a workspace is disposable. NotFound when the digest
  // is not stored.
  Status Materialize(const std::string& sha256, const std::string& dest) const;

  const std::string& root() const { return root_; }
  // True when Materialize links (the resolved restore mode).
  bool links_restores() const { return link_restores_; }

 private:
  Status CopyOut(const std::string& sha256, const std::string& dest) const;

  std::string root_;
  bool link_restores_ = false;
};

// Media type from the file name's extension, case-insensitive (".csv" ->
// "text/csv", ".json" -> "application/json"); "application/octet-stream"
// for anything unknown, ".pt" included.
std::string GuessMediaType(const std::string& name);

}  // namespace mlops::registry
