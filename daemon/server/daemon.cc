#include "server/daemon.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <chrono>

#include "access/bootstrap.h"
#include "api/api_v1.h"
#include "api/dashboard_routes.h"
#include "api/auth.h"
#include "api/token_routes.h"
#include "api/gc_routes.h"
#include "api/model_routes.h"
#include "api/prediction_log_routes.h"
#include "models/model_service.h"
#include "models/own_signing_key.h"
#include "mlops/registry/model_registry.h"
#include "api/http_server.h"
#include "metrics/daemon_metrics.h"
#include "metrics/process_metrics.h"
#include "metrics/text_format.h"
#include "metrics/timed_store.h"
#include "mlops/common/clock.h"
#include "mlops/common/files.h"
#include "mlops/registry/artifact_store.h"
#include "mlops/registry/store.h"
#include "mlops/registry/token_store.h"
#include "scheduler/local_workspace.h"
#include "scheduler/scheduler.h"
#include "api/trigger_routes.h"
#include "server/data_triggers.h"
#include "server/git_triggers.h"
#include "server/pipeline_library.h"
#include "server/plugin_directory.h"
#include "server/tls_setup.h"
#include "mlops/common/build_info.h"
#include "process/stage_orphans.h"
#include "retention/artifact_collector.h"
#include "retention/collector.h"
#include "retention/retention_service.h"
#include "server/registry_guard.h"
#include "serving/canary_controller.h"
#include "serving/canary_starter.h"
#include "serving/serve_supervisor.h"
#include "serving/serving_routes.h"
#include "serving/shared/serve_stats.h"


namespace mlops::server {

struct Daemon::Parts {
  int lock_fd = -1;
  SystemClock clock;
  // Declared before everything that reports to them, so destroyed last.
  metrics::Registry metrics;
  std::unique_ptr<metrics::DaemonMetrics> daemon_metrics;
  std::unique_ptr<registry::Store> store;
  std::unique_ptr<registry::ArtifactStore> artifacts;
  // Before the scheduler, whose hooks call it: destroyed after it.
  std::unique_ptr<registry::ModelRegistry> model_registry;
  std::unique_ptr<models::ModelService> models;
  // Canaries (docs/serving.md): the starter is called by the scheduler's
  // run-end hook, so it is declared before the scheduler.
  std::unique_ptr<serving::CanaryStarter> canary_starter;
  std::unique_ptr<serving::CanaryController> canary_controller;
  std::unique_ptr<serving::ServeSupervisor> serve_supervisor;  // with `serving:` only
  std::unique_ptr<scheduler::LocalWorkspace> workspace;
  AttemptCgroups cgroups;  // read by the runner: before it
  std::unique_ptr<PluginDirectory> plugins;
  std::unique_ptr<scheduler::Scheduler> scheduler;
  std::unique_ptr<PipelineLibrary> library;
  std::unique_ptr<GitTriggers> git;
  std::unique_ptr<DataTriggers> data;
  std::unique_ptr<registry::TokenStore> tokens;
  // Retention: the guard reads the registry; the service's thread is
  // stopped before the scheduler shuts down (Run) and before these go.
  retention::RealStateFs state_fs;
  std::unique_ptr<RegistryGuard> retention_guard;
  std::unique_ptr<retention::Collector> collector;
  std::unique_ptr<retention::ArtifactCollector> artifact_collector;
  std::unique_ptr<retention::RetentionService> retention;
  api::Router router;
  std::unique_ptr<api::Authorizer> auth;
  std::unique_ptr<api::HttpServer> http;
  std::string addr_file;
  uint64_t watchdog_usec = 0;

  ~Parts() {
    if (lock_fd >= 0) ::close(lock_fd);
  }
};

Daemon::Daemon(DaemonConfig config) : config_(std::move(config)), parts_(std::make_unique<Parts>()) {}

Daemon::~Daemon() = default;

std::string Daemon::BoundAddress() const { return parts_->http ? parts_->http->BoundAddress() : ""; }

Status Daemon::Start() {
  Parts& p = *parts_;
  ::umask(077);
  MLOPS_RETURN_IF_ERROR(MakeDirs(config_.state_dir, 0700));
  ::chmod(config_.state_dir.c_str(), 0700);
  const std::string lock_path = JoinPath(config_.state_dir, "mlopsd.lock");
  p.lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (p.lock_fd < 0) return Status::FromErrno("cannot open " + lock_path, errno);
  if (::flock(p.lock_fd, LOCK_EX | LOCK_NB) != 0) {
    return Status::Conflict("another mlopsd already uses the state folder " + config_.state_dir);
  }
  MLOPS_RETURN_IF_ERROR(registry::OpenSqliteStore(JoinPath(config_.state_dir, "registry.db"), &p.store));
  // Access control: tokens live in the registry; the first start makes an
  // admin token in <state>/admin.token.
  MLOPS_RETURN_IF_ERROR(
      registry::OpenSqliteTokenStore(JoinPath(config_.state_dir, "registry.db"), &p.tokens));
  MLOPS_RETURN_IF_ERROR(access::EnforceStatePermissions(config_.state_dir));
  MLOPS_RETURN_IF_ERROR(access::EnsureAdminToken(p.tokens.get(), config_.state_dir, p.clock.WallMillis()));
  p.daemon_metrics = std::make_unique<metrics::DaemonMetrics>(
      &p.metrics, metrics::BuildInfo{CurrentBuild().version, registry::SchemaVersion()});
  metrics::AddProcessMetrics(&p.metrics);
  p.store = metrics::NewTimedStore(std::move(p.store), &p.daemon_metrics->registry_operations(),
                                   &p.daemon_metrics->registry_seconds(),
                                   &p.daemon_metrics->registry_latency());
  p.artifacts = std::make_unique<registry::ArtifactStore>(JoinPath(config_.state_dir, "artifacts"));
  p.workspace = std::make_unique<scheduler::LocalWorkspace>(config_.state_dir, p.artifacts.get());
  // Models: registry, promotion rules, trust store (config keys trusted at
  // start, each audited once).
  MLOPS_RETURN_IF_ERROR(registry::OpenSqliteModelRegistry(JoinPath(config_.state_dir, "registry.db"),
                                                          &p.model_registry));
  {
    models::ModelServiceOptions mo;
    mo.state_dir = config_.state_dir;
    MLOPS_RETURN_IF_ERROR(
        models::EnsureSigningKey(config_.state_dir, config_.signing_key, &config_.signing_key));
    mo.signing_key = config_.signing_key;
    mo.deploy_hook = config_.deploy_hook;
    // A key revoked while the daemon runs: plugin signatures by it are
    // refused from the next fork server on (each one checks its plugin).
    Parts* pp = &p;
    mo.on_key_revoked = [pp] {
      if (pp->plugins) pp->plugins->SetRevokedKeys(pp->models->RevokedKeyIds());
    };
    p.models = std::make_unique<models::ModelService>(p.store.get(), p.model_registry.get(),
                                                      p.artifacts.get(), &p.clock, mo);
    MLOPS_RETURN_IF_ERROR(p.models->LoadTrust(config_.trusted_keys));
  }
  p.canary_starter = std::make_unique<serving::CanaryStarter>(
      p.models.get(), p.model_registry.get(), p.artifacts.get(), &p.clock);
  {
    serving::CanaryControllerOptions co;
    co.state_dir = config_.state_dir;
    models::ModelService* service = p.models.get();
    co.promote = [service](const std::string& model, int64_t version, const std::string& reason) {
      models::PromoteRequest req;
      req.model = model;
      req.version = version;
      req.to_stage = "production";
      req.reason = reason;
      req.actor = "mlopsd";
      req.role = "admin";  // the pipeline's `promote: auto` is the authority
      req.deploy_in_background = true;
      models::PromoteResult r;
      return service->Promote(req, &r);
    };
    metrics::Family<metrics::Counter>* rollbacks = &p.metrics.AddCounter(
        "mlopsd_canary_rollbacks_total", "Canaries rolled back automatically, by model.", {"model"});
    co.on_rollback = [rollbacks](const std::string& model) { rollbacks->With({model}).Inc(); };
    p.canary_controller = std::make_unique<serving::CanaryController>(p.model_registry.get(),
                                                                      &p.clock, co);
  }

  Status sr = BecomeChildSubreaper();
  if (!sr.ok()) spdlog::warn("{}", sr.message());
  // docs/limits.md: how `resources.memory` is enforced.
  Status cg = p.cgroups.Setup();
  if (cg.ok()) {
    spdlog::info("stage memory limits: a cgroup per attempt under {}", p.cgroups.base());
  } else {
    spdlog::info("stage memory limits: RLIMIT_DATA (no cgroup per attempt: {})", cg.message());
  }

  p.plugins = std::make_unique<PluginDirectory>(config_.plugin_dirs, config_.stage_host);
  if (config_.require_plugin_signatures) p.plugins->RequireSignatures(config_.trusted_keys);
  p.plugins->SetRevokedKeys(p.models->RevokedKeyIds());
  p.plugins->SetDescriptionCache(JoinPath(config_.state_dir, "plugin-descriptions.json"));
  MLOPS_RETURN_IF_ERROR(p.plugins->Scan());

  scheduler::SchedulerOptions so;
  so.capacity = {config_.cpus, config_.gpus, config_.memory_mb};
  so.kill_grace = config_.kill_grace;
  so.max_recoveries = config_.max_recoveries;
  so.observer = p.daemon_metrics.get();
  Parts* linker = &p;
  so.on_run_created = [linker](int64_t run_id, const std::vector<std::string>& paths) {
    if (linker->data && !paths.empty()) linker->data->LinkCurrentVersions(run_id, paths);
  };
  models::ModelService* model_service = p.models.get();
  so.attempt_env = [model_service](const scheduler::AttemptStartContext& ctx,
                                   std::map<std::string, std::string>* env) {
    models::AttemptStartInfo info;
    info.run_id = ctx.run->id;
    info.attempt_id = ctx.attempt_id;
    info.attempt = ctx.attempt;
    info.pipeline = ctx.pipeline->name;
    info.stage = ctx.stage->name;
    info.plugin = ctx.stage->uses;
    info.model = ctx.pipeline->model;
    info.inputs = ctx.inputs;
    model_service->AttemptEnv(info, env);
  };
  p.retention_guard = std::make_unique<RegistryGuard>(p.store.get(), p.model_registry.get(), &p.clock);
  p.collector = std::make_unique<retention::Collector>(config_.state_dir, config_.retention,
                                                       &p.state_fs, &p.clock, p.retention_guard.get());
  p.artifact_collector = std::make_unique<retention::ArtifactCollector>(
      p.artifacts->root(), config_.state_dir, &p.state_fs, &p.clock, p.retention_guard.get());
  p.retention = std::make_unique<retention::RetentionService>(
      p.collector.get(), p.artifact_collector.get(), config_.retention.interval);
  retention::RetentionService* retention =
      config_.retention.after_runs ? p.retention.get() : nullptr;
  serving::CanaryStarter* canary_starter = p.canary_starter.get();
  so.on_run_finished = [model_service, retention, canary_starter](
                           const registry::RunRecord& run, const pipeline::Pipeline& pipeline) {
    registry::ModelVersionRecord registered;
    Status s = model_service->OnRunFinished(run, pipeline, &registered);
    if (!s.ok()) spdlog::error("run {}: model not registered: {}", run.id, s.message());
    if (s.ok()) canary_starter->OnVersionRegistered(registered);
    if (retention) retention->OnRunEnded(run.id);
  };
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  so.host_name = host;
  // The runner reports to the scheduler, which is built next; no attempt
  // starts before it exists.
  Parts* parts = &p;
  // Spare logs live beside the run folders of logs/ (same file system).
  p.plugins->MakeRunner(
      [parts](AttemptOutcome o) {
        // An attempt that failed for want of space or memory is the
        // operator's business too, not only the run's.
        if (o.kind == AttemptOutcome::Kind::kFailed || o.kind == AttemptOutcome::Kind::kStartFailed) {
          spdlog::warn("attempt {} {}: {}", o.attempt_id, ToString(o.kind),
                       o.error.substr(0, 1000));
        }
        parts->scheduler->OnAttemptFinished(std::move(o));
      },
      JoinPath(JoinPath(config_.state_dir, "logs"), ".spare"),
      static_cast<uint64_t>(config_.stage_output_mb) << 20, &p.cgroups);
  p.scheduler = std::make_unique<scheduler::Scheduler>(p.store.get(), p.plugins->runner(),
                                                       p.workspace.get(), p.plugins.get(),
                                                       &p.clock, so);
  // Before anything can submit a run: the run-created hook reads p.data.
  p.data = std::make_unique<DataTriggers>(p.store.get(), p.scheduler.get(), &p.clock,
                                          config_.state_dir, config_.data_scan_interval);
  MLOPS_RETURN_IF_ERROR(p.scheduler->Recover());
  scheduler::Scheduler* sched = p.scheduler.get();
  p.daemon_metrics->WatchScheduler([sched] { return sched->Stats(); }, so.capacity);

  PluginDirectory* plugins = p.plugins.get();
  p.library = std::make_unique<PipelineLibrary>(p.store.get(), config_.pipeline_dirs, [plugins] {
    auto names = plugins->Names();
    return std::set<std::string>(names.begin(), names.end());
  });
  std::vector<std::string> problems;
  MLOPS_RETURN_IF_ERROR(p.library->Scan(&problems));
  for (const auto& line : problems) spdlog::warn("pipeline skipped: {}", line);

  api::ApiContext ctx;
  ctx.store = p.store.get();
  ctx.scheduler = p.scheduler.get();
  ctx.artifacts = p.artifacts.get();
  ctx.ready = &ready_;
  ctx.version = CurrentBuild().version;
  ctx.plugins = [plugins] { return plugins->ToJson(); };
  PipelineLibrary* library = p.library.get();
  ctx.reload_pipelines = [library] {
    std::vector<std::string> problems;
    Status s = library->Scan(&problems);
    for (const auto& line : problems) spdlog::warn("pipeline skipped: {}", line);
    return s;
  };
  api::AddApiV1Routes(ctx, &p.router);

  p.git = std::make_unique<GitTriggers>(p.store.get(), p.scheduler.get(), &p.clock,
                                        config_.state_dir, config_.repositories, [plugins] {
                                          auto names = plugins->Names();
                                          return std::set<std::string>(names.begin(), names.end());
                                        });
  p.git->SetMetrics(p.daemon_metrics.get());
  MLOPS_RETURN_IF_ERROR(p.git->Start());
  GitTriggers* git = p.git.get();
  api::TriggerApi tapi;
  tapi.list_repos = [git] { return git->ReposJson(); };
  tapi.show_repo = [git](const std::string& name, nlohmann::json* out) { return git->RepoJson(name, out); };
  tapi.sync_repo = [git](const std::string& name) { return git->Sync(name); };
  tapi.webhook = [git](const std::string& source, const std::string& repo,
                       const std::map<std::string, std::string>& headers, const std::string& body) {
    return git->OnWebhook(source, repo, headers, body);
  };
  DataTriggers* data = p.data.get();
  tapi.list_data = [data](nlohmann::json* out) { return data->ListJson(out); };
  tapi.show_data = [data](int64_t id, nlohmann::json* out) { return data->ShowJson(id, out); };
  api::AddTriggerRoutes(tapi, &p.router);
  metrics::Registry* registry = &p.metrics;
  metrics::DaemonMetrics* versions_gauge = p.daemon_metrics.get();
  registry::ModelRegistry* model_registry = p.model_registry.get();
  p.router.Add("GET", "/metrics", [registry, versions_gauge, model_registry](const api::HttpRequest&) {
    // Model versions per stage are read at each scrape (one grouped count),
    // so that the gauge can never disagree with the registry.
    std::map<std::string, int64_t> counts;
    if (model_registry->CountVersionsByStage(&counts).ok()) {
      for (const auto& [stage, n] : counts) {
        versions_gauge->model_versions().With({stage}).Set(static_cast<double>(n));
      }
    }
    api::HttpResponse r = api::HttpResponse::Text(200, registry->Expose());
    r.content_type = metrics::kTextContentType;
    return r;
  });
  api::AddTokenRoutes(p.tokens.get(), &p.clock, &p.router);
  api::AddGcRoutes(p.retention.get(), &p.router);
  api::AddModelRoutes(p.models.get(), p.model_registry.get(), &p.clock, &p.router);
  api::AddDashboardRoutes(config_.dashboard_dir, &p.router);
  {
    serving::ServingRoutesContext sc;
    sc.state_dir = config_.state_dir;
    sc.models = p.model_registry.get();
    sc.starter = p.canary_starter.get();
    sc.controller = p.canary_controller.get();
    sc.clock = &p.clock;
    if (config_.serving) {
      serving::ServeSupervisorOptions so;
      so.binary = config_.serve_binary;
      so.state_dir = config_.state_dir;
      so.listen = config_.serving->listen;
      so.config_file = config_.config_file;
      so.restart_backoff_max = config_.serving->restart_backoff_max;
      p.serve_supervisor = std::make_unique<serving::ServeSupervisor>(so);
      serving::ServeSupervisor* sup = p.serve_supervisor.get();
      sc.supervisor = [sup] { return sup->StatusJson(); };
    }
    serving::AddServingRoutes(sc, &p.router);
  }
  api::AddPredictionLogRoutes(JoinPath(config_.state_dir, "serving/predictions"), &p.clock, &p.router);
  // Default deny: a route without a row in route_policy.cc stops the start.
  MLOPS_RETURN_IF_ERROR(api::CheckRoutePolicies(p.router));
  api::AuthOptions auth_opts;
  auth_opts.public_metrics = config_.public_metrics;
  p.auth = std::make_unique<api::Authorizer>(&p.router, p.tokens.get(), &p.clock, auth_opts);
  api::HttpServerOptions ho;
  ho.listen = config_.listen;
  ho.threads = config_.http_threads;
  ho.request_timeout = config_.http_request_timeout;
  ho.keep_alive_timeout = config_.http_keep_alive_timeout;
  ho.connections_per_client = config_.http_connections_per_client;
  if (!config_.tls_cert.empty()) {
    MLOPS_RETURN_IF_ERROR(PrepareTlsPem(config_.tls_cert, config_.tls_key, config_.state_dir,
                                        &ho.tls_pem));
  }
  p.http = std::make_unique<api::HttpServer>(&p.router, ho);
  api::Authorizer* auth = p.auth.get();
  p.http->SetGate([auth](api::HttpRequest* req, api::HttpResponse* deny) { return auth->Admit(req, deny); });
  metrics::DaemonMetrics* dm = p.daemon_metrics.get();
  p.http->SetObserver([dm](const std::string& method, const std::string& route, int status,
                           double seconds) { dm->RequestFinished(method, route, status, seconds); });
  MLOPS_RETURN_IF_ERROR(p.http->Start());

  p.addr_file = JoinPath(config_.state_dir, "mlopsd.addr");
  // mlopsd.url (with its scheme, for clients of an HTTPS listener) first:
  // mlopsd.addr appearing is the signal that the daemon is ready.
  MLOPS_RETURN_IF_ERROR(WriteFileAtomic(JoinPath(config_.state_dir, "mlopsd.url"),
                                        p.http->BoundUrl() + "\n", 0600));
  MLOPS_RETURN_IF_ERROR(WriteFileAtomic(p.addr_file, p.http->BoundAddress() + "\n", 0600));
  p.data->Start();
  p.retention->Start();
  p.canary_controller->Start();
  if (p.serve_supervisor) MLOPS_RETURN_IF_ERROR(p.serve_supervisor->Start());
  ready_.store(true);
  if (sd_watchdog_enabled(0, &p.watchdog_usec) <= 0) p.watchdog_usec = 0;
  sd_notifyf(0, "READY=1\nSTATUS=serving on %s\nMAINPID=%d", p.http->BoundAddress().c_str(),
             static_cast<int>(::getpid()));
  spdlog::info("mlopsd {} (commit {}) ready on {} (state {}, {} plugin(s))",
               CurrentBuild().version, CurrentBuild().commit, p.http->BoundUrl(), config_.state_dir, plugins->Names().size());
  return Status::OK();
}

void Daemon::Run() {
  Parts& p = *parts_;
  auto last_ping = std::chrono::steady_clock::now();
  p.scheduler->Run(&stop_, [&] {
    if (p.watchdog_usec == 0) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ping >= std::chrono::microseconds(p.watchdog_usec / 4)) {
      sd_notify(0, "WATCHDOG=1");
      last_ping = now;
    }
  });
  sd_notify(0, "STOPPING=1");
  spdlog::info("stopping: draining the API, ending running stages");
  ready_.store(false);
  p.http->Drain(std::chrono::seconds(2));
  p.git->Stop();
  p.data->Stop();
  p.retention->Stop();
  p.canary_controller->Stop();
  if (p.serve_supervisor) p.serve_supervisor->Stop();  // mlops-serve keeps serving
  p.scheduler->Shutdown(config_.stop_timeout);
  p.http->Stop();
  ::unlink(p.addr_file.c_str());
  ::unlink(JoinPath(config_.state_dir, "mlopsd.url").c_str());
  spdlog::info("stopped");
}

void Daemon::RequestStop() {
  stop_.store(true);
  if (parts_->scheduler) parts_->scheduler->Wake();
}

}  // namespace mlops::server
