// The production model at a stable path (docs/models.md): a version's files live in
// <root>/<model>/versions/<version>/ under their (validated) subject names,
// reflinked or copied (never hard-linked: writing to a published file must
// not change the artifact store) read-only from the artifact store, and
// <root>/<model>/production is a symlink to that folder, swapped atomically
// (a new symlink renamed over the old one), so a reader sees the old or the
// new version, never a mix or nothing.
// Thread-safety: free functions; callers serialise per model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlops/common/status.h"
#include "mlops/registry/artifact_store.h"
#include "mlops/signing/signing.h"

namespace mlops::models {

// <root>/<model>/production. REQUIRES: CheckModelName(model) holds.
std::string ProductionLink(const std::string& root, const std::string& model);

// The signature's name in a published folder, where `mlctl verify --dir`
// looks for it by default.
inline constexpr const char* kPublishedSignatureName = "model.sig.json";

// (Re)builds <root>/<model>/versions/<version>/ from the store: every
// subject name is checked (signing::CheckSubjectName) before it becomes a
// path, every file is re-hashed after it is placed. The DSSE envelope
// `envelope_sha256` goes in as kPublishedSignatureName, so whoever deploys
// the folder can verify it offline. *dir gets the folder.
Status PublishVersion(const std::string& root, const std::string& model, int64_t version,
                      const std::vector<signing::Subject>& subjects,
                      const std::string& envelope_sha256, const registry::ArtifactStore& store,
                      std::string* dir);

// <root>/<model>/versions/<version>.
std::string VersionDir(const std::string& root, const std::string& model, int64_t version);

// Re-hashes the published files of a version against `subjects`: *problem
// names the first missing or modified one, stays empty when all match or
// the version was never published. Errors only for an invalid subject name.
Status CheckPublished(const std::string& root, const std::string& model, int64_t version,
                      const std::vector<signing::Subject>& subjects, std::string* problem);

// Points the production link at versions/<version> (atomic rename).
Status SwapProduction(const std::string& root, const std::string& model, int64_t version);

}  // namespace mlops::models
