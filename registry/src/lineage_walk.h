// The lineage walk shared by every Store implementation, so that all of them
// answer LineageUpstream/LineageDownstream identically. A store supplies its
// edges and records through LineageSource; the walk is a breadth-first
// search that visits each artifact and each attempt once.
// Internal to the registry library.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlops/common/status.h"
#include "mlops/registry/records.h"

namespace mlops::registry::internal {

class LineageSource {
 public:
  virtual ~LineageSource() = default;
  // Edges of `kind` that touch the artifact, ordered by attempt id.
  virtual Status EdgesOfArtifact(const std::string& sha256, EdgeKind kind,
                                 std::vector<ArtifactEdge>* out) = 0;
  // All edges of the attempt.
  virtual Status EdgesOfAttempt(int64_t attempt_id, std::vector<ArtifactEdge>* out) = 0;
  virtual Status Attempt(int64_t id, StageAttemptRecord* out) = 0;
  virtual Status Artifact(const std::string& sha256, ArtifactRecord* out) = 0;
  virtual Status Run(int64_t id, RunRecord* out) = 0;
};

enum class LineageDirection { kUpstream, kDownstream };

// Fills *out with the lineage of `sha256` in `direction`. Upstream follows
// "produced by" then "consumed"; downstream "consumed by" then "produced".
// Only edges on the walked paths are kept. Attempts and runs come ordered by
// id, artifacts by digest, edges by (attempt id, kind, name, digest).
// NotFound when the artifact is not registered.
Status WalkLineage(LineageSource* src, const std::string& sha256, LineageDirection direction,
                   LineageGraph* out);

}  // namespace mlops::registry::internal
