#include "lineage_walk.h"

#include <algorithm>
#include <deque>
#include <set>
#include <tuple>

namespace mlops::registry::internal {

namespace {

auto EdgeKey(const ArtifactEdge& e) {
  return std::make_tuple(e.attempt_id, e.kind, e.name, e.artifact_sha256);
}

}  // namespace

Status WalkLineage(LineageSource* src, const std::string& sha256, LineageDirection direction,
                   LineageGraph* out) {
  *out = LineageGraph();
  ArtifactRecord start;
  MLOPS_RETURN_IF_ERROR(src->Artifact(sha256, &start));

  // Upstream: who produced this artifact, then what they consumed.
  const EdgeKind into =
      direction == LineageDirection::kUpstream ? EdgeKind::kProduced : EdgeKind::kConsumed;
  const EdgeKind onward =
      direction == LineageDirection::kUpstream ? EdgeKind::kConsumed : EdgeKind::kProduced;

  std::set<std::string> artifacts = {sha256};
  std::set<int64_t> attempts;
  std::set<std::tuple<int64_t, EdgeKind, std::string, std::string>> seen_edges;
  std::deque<std::string> queue = {sha256};
  std::vector<ArtifactEdge> edges;
  auto keep = [&](const ArtifactEdge& e) {
    if (seen_edges.insert(EdgeKey(e)).second) out->edges.push_back(e);
  };

  while (!queue.empty()) {
    std::string sha = std::move(queue.front());
    queue.pop_front();
    MLOPS_RETURN_IF_ERROR(src->EdgesOfArtifact(sha, into, &edges));
    for (const ArtifactEdge& e : edges) {
      keep(e);
      if (!attempts.insert(e.attempt_id).second) continue;
      std::vector<ArtifactEdge> next;
      MLOPS_RETURN_IF_ERROR(src->EdgesOfAttempt(e.attempt_id, &next));
      for (const ArtifactEdge& n : next) {
        if (n.kind != onward) continue;
        keep(n);
        if (artifacts.insert(n.artifact_sha256).second) queue.push_back(n.artifact_sha256);
      }
    }
  }

  std::set<int64_t> runs;
  for (int64_t id : attempts) {
    StageAttemptRecord a;
    MLOPS_RETURN_IF_ERROR(src->Attempt(id, &a));
    runs.insert(a.run_id);
    out->attempts.push_back(std::move(a));
  }
  for (const std::string& sha : artifacts) {
    ArtifactRecord a;
    MLOPS_RETURN_IF_ERROR(src->Artifact(sha, &a));
    out->artifacts.push_back(std::move(a));
  }
  for (int64_t id : runs) {
    RunRecord r;
    MLOPS_RETURN_IF_ERROR(src->Run(id, &r));
    out->runs.push_back(std::move(r));
  }
  std::sort(out->edges.begin(), out->edges.end(),
            [](const ArtifactEdge& a, const ArtifactEdge& b) { return EdgeKey(a) < EdgeKey(b); });
  return Status::OK();
}

}  // namespace mlops::registry::internal
