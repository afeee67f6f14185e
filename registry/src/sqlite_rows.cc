#include "sqlite_rows.h"

namespace mlops::registry::internal {

void ReadPipeline(const Stmt& s, PipelineRecord* p) {
  p->id = s.Int64(0);
  p->name = s.Text(1);
  p->definition_sha256 = s.Text(2);
  p->definition = s.Text(3);
  p->source_dir = s.Text(4);
  p->created_ms = s.Int64(5);
}

Status ReadRun(const Stmt& s, RunRecord* r) {
  r->id = s.Int64(0);
  r->pipeline_id = s.Int64(1);
  r->pipeline_name = s.Text(2);
  r->trigger = s.Text(3);
  r->reason = s.Text(4);
  r->commit = s.Text(5);
  r->force = s.Int(6) != 0;
  if (!ParseRunStatus(s.Text(7), &r->status)) {
    return Status::Corruption("run " + std::to_string(r->id) + " has unknown status '" + s.Text(7) +
                              "'");
  }
  r->error = s.Text(8);
  r->queued_ms = s.Int64(9);
  r->started_ms = s.Int64(10);
  r->finished_ms = s.Int64(11);
  r->recovery_count = s.Int(12);
  r->fingerprint = s.Text(13);
  r->results_run_id = s.IsNull(14) ? 0 : s.Int64(14);
  return Status::OK();
}

Status ReadAttempt(const Stmt& s, StageAttemptRecord* a) {
  a->id = s.Int64(0);
  a->run_id = s.Int64(1);
  a->stage = s.Text(2);
  a->attempt = s.Int(3);
  a->plugin_name = s.Text(4);
  a->plugin_version = s.Text(5);
  a->plugin_sha256 = s.Text(6);
  a->params_json = s.Text(7);
  a->cache_key = s.Text(8);
  if (!ParseAttemptStatus(s.Text(9), &a->status)) {
    return Status::Corruption("attempt " + std::to_string(a->id) + " has unknown status '" +
                              s.Text(9) + "'");
  }
  a->exit_code = s.Int(10);
  a->signal = s.Int(11);
  a->cache_hit = s.Int(12) != 0;
  a->reason = s.Text(13);
  a->error = s.Text(14);
  a->log_path = s.Text(15);
  a->host = s.Text(16);
  a->started_ms = s.Int64(17);
  a->finished_ms = s.Int64(18);
  return Status::OK();
}

void ReadArtifact(const Stmt& s, ArtifactRecord* a) {
  a->sha256 = s.Text(0);
  a->size = s.Int64(1);
  a->media_type = s.Text(2);
  a->created_ms = s.Int64(3);
}

Status ReadEdge(const Stmt& s, ArtifactEdge* e) {
  e->attempt_id = s.Int64(0);
  e->artifact_sha256 = s.Text(1);
  e->name = s.Text(3);
  if (!ParseEdgeKind(s.Text(2), &e->kind)) {
    return Status::Corruption("edge '" + e->name + "' of attempt " + std::to_string(e->attempt_id) +
                              " has unknown kind");
  }
  return Status::OK();
}

}  // namespace mlops::registry::internal
