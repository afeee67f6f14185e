// What the signer signs: the subjects (every file of the stage's inputs, a
// folder input expanded to its files) and the predicate (the daemon's
// provenance plus the signer's own facts).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "mlops/common/status.h"
#include "mlops/signing/signing.h"

namespace mlops::signer {

struct SignerInput {
  std::string name;  // relative to the work dir (the pipeline's spelling)
  std::string path;  // absolute
};

// Hashes every input. A regular file becomes one subject named like the
// input; a folder becomes one subject per regular file under it
// ("name/rel"). Symlinks are refused (an artifact is bytes, not a pointer).
Status BuildSubjects(const std::vector<SignerInput>& inputs,
                     std::vector<signing::Subject>* out);

struct PredicateFacts {
  std::string provenance_file;  // MLOPS_PROVENANCE; empty when unset
  std::string run_id;           // MLOPS_RUN_ID
  std::string stage;            // MLOPS_STAGE
  std::vector<std::string> input_names;
  std::string key_id;
  std::string signed_at;        // RFC 3339, UTC
};

// {"provenance": {...}, "signer": {...}}. The provenance file must hold a
// JSON object; its run id is kept, and filled from facts when absent.
Status BuildPredicate(const PredicateFacts& facts, nlohmann::json* out);

// Now as RFC 3339 UTC ("2026-01-02T03:04:05Z").
std::string UtcNow();

}  // namespace mlops::signer
