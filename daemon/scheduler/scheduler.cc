#include "scheduler/scheduler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <thread>

#include "mlops/common/files.h"
#include "scheduler/cache_key.h"
#include "scheduler/run_fingerprint.h"
#include "scheduler/run_plan.h"

namespace mlops::scheduler {

using registry::AttemptStatus;
using registry::RunStatus;

// A queued run until the loop takes it up: what Submit computed that the
// registry does not hold. Its record is read back when it is taken up, so a
// deep queue costs little memory per run.
struct Scheduler::Submitted {
  std::string source_dir;  // the workspace's source: the request's or the pipeline's
  std::shared_ptr<const PreparedPipeline> prepared;
  RunInputs inputs;
};

struct Scheduler::ActiveRun {
  registry::RunRecord record;
  std::shared_ptr<const PreparedPipeline> prepared;  // keeps `pipeline()` alive for the plan
  std::unique_ptr<RunPlan> plan;
  std::string workspace;
  RunInputs inputs;     // fingerprint cleared once the run sees other inputs
  std::vector<registry::AttemptResult> finished;  // decided attempts, not yet written
  // Attempts whose end is known but not yet written: written with the
  // creation of the run's next attempt (one transaction), or at the end of
  // the scheduler's step, whichever comes first.
  std::vector<registry::AttemptResult> ended;
  std::string failure;  // the first stage failure, for the run's error
  std::string registry_error;  // batched attempts could not be written
  bool cancel_requested = false;
  bool started = false;

  const pipeline::Pipeline& pipeline() const { return prepared->pipeline; }
};

struct Scheduler::RunningAttempt {
  int64_t run_id = 0;
  int stage = 0;
  Grant grant;
  registry::StageAttemptRecord record;
  std::vector<registry::ArtifactRecord> inputs;
  std::vector<std::string> input_names;
};

namespace {

bool IsSafeRelative(const std::string& name) {
  if (name.empty() || name.front() == '/') return false;
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t next = name.find('/', pos);
    if (next == std::string::npos) next = name.size();
    if (name.compare(pos, next - pos, "..") == 0 && next - pos == 2) return false;
    pos = next + 1;
  }
  return true;
}

AttemptStatus ToAttemptStatus(AttemptOutcome::Kind k) {
  switch (k) {
    case AttemptOutcome::Kind::kSucceeded: return AttemptStatus::kSucceeded;
    case AttemptOutcome::Kind::kTimedOut: return AttemptStatus::kTimedOut;
    case AttemptOutcome::Kind::kCancelled: return AttemptStatus::kCancelled;
    default: return AttemptStatus::kFailed;
  }
}

}  // namespace

Scheduler::Scheduler(registry::Store* store, StageRunner* runner, Workspace* workspace,
                     PluginResolver* plugins, Clock* clock, SchedulerOptions options)
    : store_(store),
      runner_(runner),
      workspace_(workspace),
      plugins_(plugins),
      clock_(clock),
      options_(std::move(options)),
      pool_(options_.capacity) {}

Scheduler::~Scheduler() = default;

Status Scheduler::Submit(const RunRequest& request, int64_t* run_id,
                         registry::RunRecord* record) {
  Submitted sub;
  registry::PipelineRecord p;
  Status s = request.pipeline_id != 0 ? store_->GetPipeline(request.pipeline_id, &p)
                                      : store_->GetPipelineByName(request.pipeline, &p);
  if (!s.ok()) {
    if (s.IsNotFound()) return Status::NotFound("no pipeline named '" + request.pipeline + "'");
    return s;
  }
  sub.prepared = pipelines_.Get(p);
  sub.source_dir = request.source_dir.empty() ? p.source_dir : request.source_dir;
  if (sub.prepared->error.empty()) {
    sub.inputs =
        ComputeRunInputs(*sub.prepared, p, sub.source_dir, request.commit, plugins_, workspace_);
  }
  registry::RunRecord run;
  run.pipeline_id = p.id;
  run.trigger = request.trigger;
  run.reason = request.reason;
  run.commit = request.commit;
  run.force = request.force;
  run.status = RunStatus::kQueued;
  run.queued_ms = clock_->WallMillis();
  run.recovery_count = request.recovery_count;
  if (options_.observer) options_.observer->RunSubmitted(p.name, run.trigger);

  const int64_t results = request.force || sub.inputs.fingerprint.empty()
                              ? 0
                              : FindResultsThatStand(p.name, sub.inputs.fingerprint);
  if (results != 0) {
    registry::RunRecord done = run;
    done.status = RunStatus::kSucceeded;
    done.started_ms = done.finished_ms = done.queued_ms;
    done.fingerprint = sub.inputs.fingerprint;
    done.results_run_id = results;
    done.reason = (run.reason.empty() ? "" : run.reason + "; ") + "up to date: the results of run " +
                  std::to_string(results) + " stand";
    if (store_->CreateRun(&done).ok()) {
      *run_id = done.id;
      if (record) *record = done;
      if (options_.on_run_created) options_.on_run_created(done.id, sub.prepared->pipeline.on.data_paths);
      // Counted here, not on the loop: whoever sees this run succeeded
      // also sees it counted.
      if (options_.observer) options_.observer->RunFinished(p.name, "succeeded", 0.0);
      return Status::OK();
    }
    // The results run went away meanwhile: run it after all.
  }
  MLOPS_RETURN_IF_ERROR(store_->CreateRun(&run));
  *run_id = run.id;
  if (record) *record = run;
  if (options_.on_run_created && sub.prepared->error.empty()) {
    options_.on_run_created(run.id, sub.prepared->pipeline.on.data_paths);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_[run.id] = std::move(sub);
  }
  queue_.Push(RunSubmitted{*run_id});
  return Status::OK();
}

int64_t Scheduler::FindResultsThatStand(const std::string& pipeline,
                                        const std::string& fingerprint) {
  registry::RunFilter filter;
  filter.pipeline = pipeline;
  filter.status = {RunStatus::kSucceeded};
  filter.limit = 1;
  std::vector<registry::RunRecord> newest;
  if (!store_->ListRuns(filter, &newest).ok() || newest.empty()) return 0;
  const registry::RunRecord& last = newest.front();
  if (last.fingerprint != fingerprint) return 0;
  const int64_t results = last.results_run_id != 0 ? last.results_run_id : last.id;
  std::vector<registry::ArtifactEdge> edges;
  if (!store_->ListRunEdges(results, &edges).ok()) return 0;
  std::set<std::string> checked;
  for (const registry::ArtifactEdge& e : edges) {
    if (e.kind != registry::EdgeKind::kProduced || !checked.insert(e.artifact_sha256).second) {
      continue;
    }
    if (!workspace_->Has(e.artifact_sha256)) return 0;
  }
  return results;
}

Status Scheduler::Cancel(int64_t run_id) {
  registry::RunRecord run;
  MLOPS_RETURN_IF_ERROR(store_->GetRun(run_id, &run));
  if (registry::IsTerminal(run.status) || run.status == RunStatus::kInterrupted) {
    return Status::Conflict("run " + std::to_string(run_id) + " already ended (" +
                            registry::ToString(run.status) + ")");
  }
  queue_.Push(CancelRequested{run_id});
  return Status::OK();
}

void Scheduler::OnAttemptFinished(AttemptOutcome outcome) {
  queue_.Push(AttemptFinished{std::move(outcome)});
}

void Scheduler::Step(std::chrono::milliseconds max_wait) {
  RetryUnrecordedAttempts();
  // Handling an event can cause another (a cancel reported at once), so
  // drain until the queue is quiet before deciding what to start.
  auto events = queue_.Drain(max_wait);
  while (!events.empty()) {
    for (auto& e : events) {
      // A submitted run waits in requests_ until LaunchReady takes it up.
      if (std::holds_alternative<RunSubmitted>(e)) continue;
      if (auto* c = std::get_if<CancelRequested>(&e)) HandleCancel(c->run_id);
      else if (auto* f = std::get_if<AttemptFinished>(&e)) HandleFinished(std::move(f->outcome));
    }
    events = queue_.Drain(std::chrono::milliseconds(0));
  }
  writes_.Flush(store_, clock_);
  // LaunchReady writes every run's ended attempts, with a new attempt or
  // on their own; while shutting down nothing starts, so they go alone.
  if (!shutting_down_) {
    LaunchReady();
  } else {
    for (auto& [id, run] : runs_) FlushEnded(*run);
  }
  for (auto it = runs_.begin(); it != runs_.end();) {
    FinishRunIfDone(*it->second);
    if (registry::IsTerminal(it->second->record.status)) it = runs_.erase(it);
    else ++it;
  }
  PublishStats();
}

std::optional<TimePoint> Scheduler::NextWake() const {
  std::optional<TimePoint> next = writes_.NextRetry();
  for (const auto& [id, run] : runs_) {
    auto t = run->plan ? run->plan->NextRetry() : std::nullopt;
    if (t && (!next || *t < *next)) next = t;
  }
  return next;
}

void Scheduler::Run(const std::atomic<bool>* stop, const std::function<void()>& on_tick) {
  while (!stop->load()) {
    std::chrono::milliseconds wait(500);
    if (auto next = NextWake()) {
      auto until = std::chrono::duration_cast<std::chrono::milliseconds>(*next - clock_->Now());
      wait = std::clamp(until, std::chrono::milliseconds(0), wait);
    }
    Step(wait);
    if (on_tick) on_tick();
  }
}

bool Scheduler::TakeUp(int64_t run_id, Submitted sub, bool make_workspace) {
  auto run = std::make_unique<ActiveRun>();
  run->prepared = std::move(sub.prepared);
  run->inputs = std::move(sub.inputs);
  std::string error;
  Status rs = store_->GetRun(run_id, &run->record);
  if (!rs.ok()) {
    // The record is unreadable: the run cannot be followed, nor ended in
    // the registry; the next start's Recover() settles it.
    return false;
  }
  error = run->prepared->error;
  if (error.empty() && make_workspace) {
    Status ws = workspace_->Prepare(run_id, sub.source_dir, &run->workspace);
    if (!ws.ok()) error = ws.message();
  }
  if (!error.empty()) {
    run->record.status = RunStatus::kFailed;
    run->record.error = error;
    run->record.finished_ms = clock_->WallMillis();
    writes_.Write(store_, clock_, run->record, /*is_end=*/true, [this] { NoteRunEnded(); });
    return false;
  }
  // An input the fingerprint records as made by a stage must not be in the
  // workspace's copy of the source (it could have appeared since Submit).
  for (const auto& [name, digest] : run->inputs.files) {
    if (!digest.empty() || name.front() == '/' || !make_workspace) continue;
    std::string found;
    if (!workspace_->Digest(JoinPath(run->workspace, name), &found).IsNotFound()) {
      run->inputs.fingerprint.clear();
    }
  }
  run->plan = std::make_unique<RunPlan>(run->pipeline());
  runs_[run_id] = std::move(run);
  return true;
}

bool Scheduler::TakeUpQueued() {
  // Waiting: taken up, nothing started, not done (a run that failed at
  // once is done, and must not hold the queue until the next step).
  int waiting = 0;
  for (const auto& [id, run] : runs_) {
    if (!run->started && !registry::IsTerminal(run->record.status) && !run->plan->Finished()) {
      ++waiting;
    }
  }
  bool took = false;
  while (waiting < kWaitingRunsAhead) {
    int64_t id = 0;
    Submitted sub;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (requests_.empty()) break;
      auto it = requests_.begin();
      id = it->first;
      sub = std::move(it->second);
      requests_.erase(it);
    }
    if (TakeUp(id, std::move(sub), /*make_workspace=*/true)) {
      ++waiting;  // until the next pass tries its stages
      took = true;
    }
  }
  return took;
}

void Scheduler::HandleCancel(int64_t run_id) {
  auto it = runs_.find(run_id);
  if (it == runs_.end()) {
    // Still queued: taken up without a workspace, to end as cancelled. A
    // run in neither place has ended already.
    std::optional<Submitted> sub;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto q = requests_.find(run_id); q != requests_.end()) {
        sub = std::move(q->second);
        requests_.erase(q);
      }
    }
    if (!sub || !TakeUp(run_id, std::move(*sub), /*make_workspace=*/false)) return;
    it = runs_.find(run_id);
  }
  ActiveRun& run = *it->second;
  run.cancel_requested = true;
  run.plan->SkipAllPending();
  for (const auto& [attempt_id, a] : attempts_) {
    if (a.run_id == run_id) runner_->Cancel(attempt_id);
  }
}

void Scheduler::LaunchReady() {
  const TimePoint now = clock_->Now();
  // A cache hit finishes a stage at once and can make its dependents ready,
  // so repeat until a pass changes nothing. Stages that do not fit now are
  // passed over so that smaller ones (e.g. cpu-only behind a GPU stage) run.
  // Queued runs are taken up (workspace made, plan built) only while few
  // taken-up runs wait to start, so a deep queue costs nothing per pass.
  for (bool progress = true; progress;) {
    progress = false;
    for (auto& [id, run] : runs_) {
      if (run->cancel_requested) continue;
      for (int stage : run->plan->Ready(now)) {
        if (StartStage(*run, stage) && run->plan->state(stage).phase == StagePhase::kSucceeded) {
          progress = true;
        }
      }
    }
    if (TakeUpQueued()) progress = true;
  }
  for (auto& [id, run] : runs_) FlushFinished(*run);
}

void Scheduler::FlushFinished(ActiveRun& run) {
  FlushEnded(run);
  FlushDecided(run);
}

// A batch refused for a reason that waiting can heal (busy, locked) stays
// with the run and is retried after the backoff; the run does not end
// before it is written. Any other refusal fails the run with the reason,
// and the batch is written later by RetryUnrecordedAttempts.
void Scheduler::FlushDecided(ActiveRun& run) {
  if (run.finished.empty() || writes_.InBackoff(clock_->Now())) return;
  Status s = store_->RecordFinishedAttempts(&run.finished);
  if (s.ok()) {
    writes_.NoteSuccess(clock_);
  } else {
    const std::string what = std::to_string(run.finished.size()) + " finished stage(s)";
    if (writes_.NoteFailure(s, "run " + std::to_string(run.record.id) + ": " + what, clock_)) return;
    if (run.registry_error.empty()) {
      run.registry_error = "registry: could not record " + what + ": " + s.message();
    }
    // The run fails now, naming the refusal; what its stages did is still
    // written once the registry takes writes (a full disk that is freed).
    for (auto& r : run.finished) unrecorded_.decided.push_back(std::move(r));
  }
  run.finished.clear();
}

void Scheduler::FlushEnded(ActiveRun& run) {
  if (run.ended.empty() || writes_.InBackoff(clock_->Now())) return;
  Status s = store_->FinishAttemptsThenCreate(run.ended, nullptr);
  if (s.ok()) {
    writes_.NoteSuccess(clock_);
  } else {
    const std::string what = "the end of " + std::to_string(run.ended.size()) + " attempt(s)";
    if (writes_.NoteFailure(s, "run " + std::to_string(run.record.id) + ": " + what, clock_)) return;
    if (run.registry_error.empty()) {
      run.registry_error = "registry: could not record " + what + ": " + s.message();
    }
    // As in FlushDecided: written later, without holding the run back.
    for (auto& r : run.ended) unrecorded_.ended.push_back(std::move(r));
  }
  run.ended.clear();
}

void Scheduler::RetryUnrecordedAttempts() {
  if ((unrecorded_.decided.empty() && unrecorded_.ended.empty()) ||
      clock_->Now() < unrecorded_.retry_at) {
    return;
  }
  Status s = unrecorded_.decided.empty() ? Status::OK()
                                         : store_->RecordFinishedAttempts(&unrecorded_.decided);
  if (s.ok() && !unrecorded_.ended.empty()) {
    s = store_->FinishAttemptsThenCreate(unrecorded_.ended, nullptr);
  }
  const size_t n = unrecorded_.decided.size() + unrecorded_.ended.size();
  if (s.ok()) {
    spdlog::info("registry: recorded {} stage attempt(s) it had refused", n);
    unrecorded_ = {};
    return;
  }
  // A refusal that never heals (not a full disk) must not stall the
  // registry's writers for good: after kMaxTries the attempts are given up.
  constexpr int kMaxTries = 30;
  if (++unrecorded_.tries >= kMaxTries) {
    spdlog::error("registry: gave up recording {} stage attempt(s) after {} tries: {}", n,
                  unrecorded_.tries, s.message());
    unrecorded_ = {};
    return;
  }
  // Its own backoff (50 ms doubling to 2 s): the run records behind it
  // must not wait for these.
  unrecorded_.retry_at =
      clock_->Now() + std::min(std::chrono::milliseconds(50) * (1 << std::min(unrecorded_.tries, 6)),
                               std::chrono::milliseconds(2000));
}

void Scheduler::CheckInput(ActiveRun& run, const std::string& name, const std::string& sha256) {
  auto it = run.inputs.files.find(name);
  if (it != run.inputs.files.end() && !it->second.empty() && it->second != sha256) {
    run.inputs.fingerprint.clear();  // the input changed since Submit
  }
}

void Scheduler::FailWithoutAttempt(ActiveRun& run, int stage, const std::string& error) {
  const auto& spec = run.pipeline().stages[stage];
  registry::AttemptResult result;
  registry::StageAttemptRecord& rec = result.attempt;
  rec.run_id = run.record.id;
  rec.stage = spec.name;
  rec.attempt = run.plan->state(stage).attempts + 1;
  rec.plugin_name = spec.uses;
  rec.host = options_.host_name;
  rec.started_ms = rec.finished_ms = clock_->WallMillis();
  rec.reason = "not started";
  rec.status = AttemptStatus::kFailed;
  rec.error = error;
  run.finished.push_back(std::move(result));
  run.plan->MarkRunning(stage);
  // No retry can help: exhaust the attempts.
  run.plan->mutable_state(stage).attempts = 1 + spec.retries;
  run.plan->MarkFailed(stage, clock_->Now());
  if (run.failure.empty()) run.failure = "stage '" + spec.name + "': " + error;
}

bool Scheduler::StartStage(ActiveRun& run, int stage) {
  const pipeline::Stage& spec = run.pipeline().stages[stage];
  std::string why;
  if (pool_.NeverFits(spec.resources, &why)) {
    FailWithoutAttempt(run, stage, "cannot be scheduled: " + why);
    return true;
  }
  PluginRef plugin;
  Status ps = plugins_->Resolve(spec.uses, &plugin);
  if (!ps.ok()) {
    FailWithoutAttempt(run, stage, ps.message());
    return true;
  }
  const std::string& params = run.prepared->params[stage];
  std::vector<registry::ArtifactRecord> inputs;
  std::vector<std::string> input_names;
  CacheKeyParts key;
  for (const auto& in : spec.inputs) {
    std::string path = in.front() == '/' ? in : JoinPath(run.workspace, in);
    registry::ArtifactRecord art;
    Status s = workspace_->Ingest(path, &art);
    if (!s.ok()) {
      FailWithoutAttempt(run, stage, "input '" + in + "' cannot be read: " + s.message());
      return true;
    }
    CheckInput(run, in, art.sha256);
    key.inputs.emplace_back(in, art.sha256);
    inputs.push_back(art);
    input_names.push_back(in);
  }
  // Stages share the run's workspace, so a stage may read anything the
  // stages it needs produced: lineage records those as consumed too.
  for (int dep : run.plan->needs(stage)) {
    for (const auto& [name, art] : run.plan->state(dep).outputs) {
      if (std::find(input_names.begin(), input_names.end(), name) != input_names.end()) continue;
      inputs.push_back(art);
      input_names.push_back(name);
    }
  }
  key.plugin_name = plugin.name;
  key.plugin_version = plugin.version;
  key.plugin_sha256 = plugin.sha256;
  key.params_json = params;
  for (int dep : run.plan->needs(stage)) key.upstream_keys.push_back(run.plan->state(dep).cache_key);
  key.commit = run.record.commit;
  key.stage = spec.name;
  const std::string cache_key = ComputeCacheKey(key);
  run.plan->mutable_state(stage).cache_key = cache_key;

  const int attempt_no = run.plan->state(stage).attempts + 1;
  if (!run.record.force && attempt_no == 1 && TryReuseCached(run, stage, cache_key, inputs, input_names)) {
    return true;
  }
  // While the registry refuses writes, no attempt starts: it could not be
  // recorded. The stage stays ready and is tried after the backoff.
  if (writes_.InBackoff(clock_->Now())) return false;
  Grant grant;
  if (!pool_.TryAcquire(spec.resources, &grant)) return false;
  // Attempt ids follow the order stages were decided in.
  FlushDecided(run);
  if (!run.finished.empty()) {
    pool_.Release(grant);
    return false;
  }
  RecordStarted(run);
  RunningAttempt a;
  a.run_id = run.record.id;
  a.stage = stage;
  a.grant = grant;
  a.inputs = inputs;
  a.input_names = input_names;
  registry::StageAttemptRecord& rec = a.record;
  rec.run_id = run.record.id;
  rec.stage = spec.name;
  rec.attempt = attempt_no;
  rec.plugin_name = plugin.name;
  rec.plugin_version = plugin.version;
  rec.plugin_sha256 = plugin.sha256;
  rec.params_json = params;
  rec.cache_key = cache_key;
  rec.host = options_.host_name;
  rec.started_ms = clock_->WallMillis();
  rec.log_path = workspace_->LogPath(run.record.id, spec.name, attempt_no);
  if (attempt_no > 1) rec.reason = "retry " + std::to_string(attempt_no - 1) + " of " +
                                   std::to_string(spec.retries) + " after a failed attempt";
  else if (run.record.force) rec.reason = "forced: the stage cache was ignored";
  else rec.reason = "no earlier result for this plugin, params, inputs and commit";
  // The end of the attempts that made this stage ready goes in the same
  // transaction: one commit per stage on a chain, still before the next
  // process starts.
  Status cs = run.ended.empty() ? store_->CreateAttempt(&rec)
                                : store_->FinishAttemptsThenCreate(run.ended, &rec);
  if (cs.ok()) {
    writes_.NoteSuccess(clock_);
    run.ended.clear();
  } else if (writes_.NoteFailure(cs, "run " + std::to_string(run.record.id) + ": attempt of stage '" +
                                         spec.name + "'",
                                 clock_)) {
    pool_.Release(grant);
    return false;
  } else {
    FlushEnded(run);
    pool_.Release(grant);
    FailWithoutAttempt(run, stage, "registry: " + cs.message());
    return true;
  }
  AttemptSpec as;
  as.attempt_id = rec.id;
  as.plugin_path = plugin.path;
  as.params_json = params;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string& in = input_names[i];
    as.inputs.push_back({in, in.front() == '/' ? in : JoinPath(run.workspace, in)});
  }
  as.work_dir = run.workspace;
  as.scratch_dir = workspace_->ScratchDir(run.record.id, spec.name);
  as.log_path = rec.log_path;
  as.env["CUDA_VISIBLE_DEVICES"] = grant.CudaVisibleDevices();
  as.env["MLOPS_RUN_ID"] = std::to_string(run.record.id);
  as.env["MLOPS_STAGE"] = spec.name;
  as.env["MLOPS_ATTEMPT"] = std::to_string(attempt_no);
  as.env["MLOPS_CPUS"] = std::to_string(static_cast<int>(std::max(1.0, grant.cpus)));
  if (options_.attempt_env) {
    AttemptStartContext ctx;
    ctx.run = &run.record;
    ctx.pipeline = &run.pipeline();
    ctx.stage = &spec;
    ctx.attempt_id = rec.id;
    ctx.attempt = attempt_no;
    for (size_t i = 0; i < inputs.size(); ++i) ctx.inputs.emplace_back(input_names[i], inputs[i].sha256);
    options_.attempt_env(ctx, &as.env);
  }
  as.timeout = spec.timeout;
  as.kill_grace = options_.kill_grace;
  as.memory_limit_bytes = spec.resources.memory_mb << 20;
  run.plan->MarkRunning(stage);
  attempts_.emplace(rec.id, std::move(a));
  runner_->Start(as);
  return true;
}

bool Scheduler::TryReuseCached(ActiveRun& run, int stage, const std::string& key,
                               const std::vector<registry::ArtifactRecord>& inputs,
                               const std::vector<std::string>& input_names) {
  registry::StageAttemptRecord earlier;
  std::vector<registry::ArtifactEdge> produced;
  std::vector<registry::ArtifactRecord> produced_records;
  if (!store_->FindCachedOutputs(key, &earlier, &produced, &produced_records).ok()) return false;
  for (const auto& e : produced) {
    if (!workspace_->Has(e.artifact_sha256)) return false;
  }
  for (const auto& e : produced) {
    if (!IsSafeRelative(e.name)) continue;
    if (!workspace_->Restore(e.artifact_sha256, JoinPath(run.workspace, e.name)).ok()) return false;
  }
  const pipeline::Stage& spec = run.pipeline().stages[stage];
  registry::AttemptResult result;
  registry::StageAttemptRecord& rec = result.attempt;
  rec = earlier;
  rec.id = 0;
  rec.run_id = run.record.id;
  rec.stage = spec.name;
  rec.attempt = 1;
  rec.status = AttemptStatus::kCached;
  rec.cache_hit = true;
  rec.exit_code = 0;
  rec.signal = 0;
  rec.error.clear();
  rec.host = options_.host_name;
  rec.reason = "cache hit: reused the outputs of attempt " + std::to_string(earlier.id) +
               " (run " + std::to_string(earlier.run_id) +
               "): plugin, params, inputs and commit unchanged";
  rec.started_ms = rec.finished_ms = clock_->WallMillis();
  result.artifacts = inputs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    result.edges.push_back({0, inputs[i].sha256, registry::EdgeKind::kConsumed, input_names[i]});
  }
  auto& outputs = run.plan->mutable_state(stage).outputs;
  for (size_t i = 0; i < produced.size(); ++i) {
    result.edges.push_back({0, produced[i].artifact_sha256, registry::EdgeKind::kProduced,
                            produced[i].name});
    outputs.emplace_back(produced[i].name, produced_records[i]);
  }
  if (options_.observer) {
    options_.observer->AttemptFinished(run.pipeline().name, rec.plugin_name, "cached", 0);
  }
  run.finished.push_back(std::move(result));
  RecordStarted(run);
  run.plan->MarkRunning(stage);
  run.plan->MarkSucceeded(stage);
  return true;
}

void Scheduler::HandleFinished(AttemptOutcome outcome) {
  auto it = attempts_.find(outcome.attempt_id);
  if (it == attempts_.end()) return;
  RunningAttempt a = std::move(it->second);
  attempts_.erase(it);
  pool_.Release(a.grant);

  registry::AttemptResult result;
  result.artifacts = a.inputs;
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    result.edges.push_back({a.record.id, a.inputs[i].sha256, registry::EdgeKind::kConsumed,
                            a.input_names[i]});
  }
  std::vector<std::pair<std::string, registry::ArtifactRecord>> produced;
  if (outcome.kind == AttemptOutcome::Kind::kSucceeded) {
    for (const auto& out : outcome.outputs) {
      registry::ArtifactRecord art;
      Status s = workspace_->Ingest(out.path, &art);
      if (!s.ok()) {
        outcome.kind = AttemptOutcome::Kind::kFailed;
        outcome.error = "output '" + out.name + "' could not be stored: " + s.message();
        break;
      }
      if (!out.media_type.empty()) art.media_type = out.media_type;
      result.artifacts.push_back(art);
      result.edges.push_back({a.record.id, art.sha256, registry::EdgeKind::kProduced, out.name});
      produced.emplace_back(out.name, art);
    }
  }
  for (const auto& m : outcome.metrics) result.metrics.push_back({m.key, m.value, m.step, m.time_ms});
  for (const auto& [k, v] : outcome.params) result.params.push_back({k, v});
  a.record.status = ToAttemptStatus(outcome.kind);
  a.record.exit_code = outcome.exit_code;
  a.record.signal = outcome.signal;
  a.record.error = outcome.error;
  a.record.finished_ms = clock_->WallMillis();
  result.attempt = a.record;
  auto rit = runs_.find(a.run_id);
  Status fs;
  if (rit != runs_.end()) {
    rit->second->ended.push_back(std::move(result));
  } else {
    fs = store_->FinishAttempt(result);
  }
  if (options_.observer) {
    options_.observer->AttemptFinished(
        rit != runs_.end() ? rit->second->pipeline().name : "", a.record.plugin_name,
        registry::ToString(a.record.status),
        static_cast<double>(a.record.finished_ms - a.record.started_ms) / 1000.0);
  }

  if (rit == runs_.end()) return;
  ActiveRun& run = *rit->second;
  const pipeline::Stage& spec = run.pipeline().stages[a.stage];
  if (!fs.ok() && outcome.kind == AttemptOutcome::Kind::kSucceeded) {
    outcome.kind = AttemptOutcome::Kind::kFailed;
    outcome.error = "registry: " + fs.message();
  }
  if (outcome.kind == AttemptOutcome::Kind::kSucceeded) {
    run.plan->mutable_state(a.stage).outputs = std::move(produced);
    run.plan->MarkSucceeded(a.stage);
  } else if (outcome.kind == AttemptOutcome::Kind::kCancelled || run.cancel_requested ||
             shutting_down_) {
    run.plan->MarkCancelled(a.stage);
  } else {
    const int n = run.plan->state(a.stage).attempts;
    auto backoff = spec.retry_backoff * (1 << std::min(n - 1, 10));
    if (!run.plan->MarkFailed(a.stage, clock_->Now() + backoff) && run.failure.empty()) {
      run.failure = "stage '" + spec.name + "' failed after " + std::to_string(n) +
                    (n == 1 ? " attempt: " : " attempts: ") + outcome.error;
    }
  }
}

void Scheduler::FinishRunIfDone(ActiveRun& run) {
  if (registry::IsTerminal(run.record.status) || !run.plan->Finished()) return;
  if (shutting_down_ && !run.cancel_requested) return;  // Shutdown() marks it interrupted
  FlushFinished(run);
  // Its attempts are recorded before its end: retried after the backoff.
  if (!run.ended.empty() || !run.finished.empty()) return;
  run.record.fingerprint.clear();
  if (run.cancel_requested || run.plan->AnyCancelled()) {
    run.record.status = RunStatus::kCancelled;
    run.record.error = run.cancel_requested ? "cancelled on request" : "a stage was cancelled";
  } else if (run.plan->AnyFailed()) {
    run.record.status = RunStatus::kFailed;
    run.record.error = run.failure;
    // A stage that failed on a full disk often only says how its command
    // ended; the registry's refusal names the cause.
    if (!run.registry_error.empty()) run.record.error += "; " + run.registry_error;
  } else if (!run.registry_error.empty()) {
    run.record.status = RunStatus::kFailed;
    run.record.error = run.registry_error;
  } else {
    run.record.status = RunStatus::kSucceeded;
    run.record.error.clear();
    // Only a run that saw exactly the inputs its fingerprint describes may
    // stand for later runs with that fingerprint.
    run.record.fingerprint = run.inputs.fingerprint;
  }
  if (run.record.started_ms == 0) run.record.started_ms = clock_->WallMillis();
  run.record.finished_ms = clock_->WallMillis();
  // Its model version is registered before the end is recorded, so that
  // whoever sees the run ended (`runs wait`, `trigger --wait`, then a report
  // of its model version) also sees that. The end itself is reported (the
  // ended count, the metrics) only once committed: a run reported ended is
  // never found unfinished after a crash.
  if (options_.on_run_finished) options_.on_run_finished(run.record, run.pipeline());
  writes_.Write(store_, clock_, run.record, /*is_end=*/true,
                [this, pipeline = run.pipeline().name, record = run.record] {
                  ReportRunEnd(pipeline, record);
                });
  PublishStats();
  if (!run.workspace.empty()) workspace_->Retire(run.record.id, options_.keep_workspaces);
}

Status Scheduler::Recover() {
  // Runs a crash left queued/running become interrupted here; runs a
  // graceful stop left interrupted are still unsettled (finished_ms == 0).
  std::vector<int64_t> ids;
  MLOPS_RETURN_IF_ERROR(store_->InterruptUnfinished(clock_->WallMillis(), &ids));
  registry::RunFilter filter;
  filter.status = {RunStatus::kInterrupted};
  filter.limit = 0;
  std::vector<registry::RunRecord> interrupted;
  MLOPS_RETURN_IF_ERROR(store_->ListRuns(filter, &interrupted));
  for (auto it = interrupted.rbegin(); it != interrupted.rend(); ++it) {
    if (it->finished_ms == 0 && std::find(ids.begin(), ids.end(), it->id) == ids.end()) {
      ids.push_back(it->id);
    }
  }
  std::sort(ids.begin(), ids.end());
  for (int64_t id : ids) {
    registry::RunRecord run;
    if (!store_->GetRun(id, &run).ok()) continue;
    if (run.recovery_count < options_.max_recoveries) {
      RunRequest r;
      r.pipeline_id = run.pipeline_id;
      r.trigger = "recovery";
      r.reason = "retry of run " + std::to_string(id) + ", interrupted by a daemon stop";
      r.commit = run.commit;
      r.force = run.force;
      r.recovery_count = run.recovery_count + 1;
      int64_t new_id = 0;
      Status s = Submit(r, &new_id);
      run.error = s.ok() ? "interrupted by a daemon stop; retried as run " + std::to_string(new_id)
                         : "interrupted by a daemon stop; retry failed: " + s.message();
    } else {
      run.status = RunStatus::kFailed;
      run.error = "interrupted by a daemon stop " + std::to_string(run.recovery_count + 1) +
                  " times; not retried again";
    }
    if (run.finished_ms == 0) run.finished_ms = clock_->WallMillis();
    writes_.Write(store_, clock_, run, /*is_end=*/false);
  }
  return Status::OK();
}

void Scheduler::Shutdown(std::chrono::milliseconds grace) {
  shutting_down_ = true;
  for (const auto& [id, a] : attempts_) runner_->Cancel(id);
  const TimePoint deadline = clock_->Now() + grace;
  while (!attempts_.empty() && clock_->Now() < deadline) {
    Step(std::chrono::milliseconds(50));
  }
  for (auto& [id, run] : runs_) {
    if (registry::IsTerminal(run->record.status)) continue;
    FlushFinished(*run);
    // finished_ms stays 0: the next start's Recover() settles the run.
    run->record.status = RunStatus::kInterrupted;
    run->record.finished_ms = 0;
    run->record.error = "daemon stopped while the run was active";
    writes_.Write(store_, clock_, run->record, /*is_end=*/true, [this] { NoteRunEnded(); });
  }
  runs_.clear();
  {
    // Runs never taken up stay queued in the registry: the next start's
    // Recover() treats them as a crash left them (interrupted, retried),
    // without one write each here.
    std::lock_guard<std::mutex> lock(mu_);
    requests_.clear();
  }
  // Records still refused get the rest of the grace period (real time: the
  // loop is ending); whatever is left is logged, and the next start finds
  // those runs unfinished and retries them.
  const auto write_deadline =
      std::chrono::steady_clock::now() + std::max(grace, std::chrono::milliseconds(2000));
  while (!writes_.empty() && std::chrono::steady_clock::now() < write_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    writes_.Flush(store_, clock_, /*ignore_backoff=*/true);
  }
  writes_.LogWaiting();
  PublishStats();
}

void Scheduler::RecordStarted(ActiveRun& run) {
  if (run.started) return;
  run.started = true;
  run.record.status = RunStatus::kRunning;
  run.record.started_ms = clock_->WallMillis();
  writes_.Write(store_, clock_, run.record, /*is_end=*/false);
}

void Scheduler::ReportRunEnd(const std::string& pipeline, const registry::RunRecord& run) {
  if (options_.observer) {
    options_.observer->RunFinished(pipeline, registry::ToString(run.status),
                                   static_cast<double>(run.finished_ms - run.queued_ms) / 1000.0);
  }
  NoteRunEnded();
}

void Scheduler::PublishStats() {
  SchedulerStats s;
  for (const auto& [id, run] : runs_) {
    if (registry::IsTerminal(run->record.status)) continue;  // ended, not yet dropped
    ++s.active_runs;
    s.queued_runs += run->started ? 0 : 1;
  }
  s.running_stages = static_cast<int>(attempts_.size());
  s.gpus_in_use = pool_.gpus_in_use();
  s.cpus_in_use = pool_.cpus_in_use();
  RunWriteBacklogStats w = writes_.Stats();
  s.unrecorded_runs = w.waiting;
  s.registry_stalled_since_ms = w.stalled_since_ms;
  s.registry_failed_writes = w.failed_writes;
  s.registry_error = std::move(w.last_error);
  std::lock_guard<std::mutex> lock(mu_);
  s.queued_runs += static_cast<int>(requests_.size());
  stats_ = s;
}

void Scheduler::NoteRunEnded() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++runs_ended_;
  }
  run_ended_.notify_all();
}

uint64_t Scheduler::RunsEnded() const {
  std::lock_guard<std::mutex> lock(mu_);
  return runs_ended_;
}

uint64_t Scheduler::WaitRunsEnded(uint64_t seen, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  run_ended_.wait_for(lock, timeout, [&] { return runs_ended_ > seen; });
  return runs_ended_;
}

SchedulerStats Scheduler::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

bool Scheduler::Idle() const {
  std::lock_guard<std::mutex> lock(mu_);
  return runs_.empty() && requests_.empty() && stats_.unrecorded_runs == 0;
}

}  // namespace mlops::scheduler
