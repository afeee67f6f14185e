#include "serving/server/serve_app.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "mlops/common/files.h"
#include "serving/server/oip_routes.h"
#include "serving/server/protocol_common.h"
#include "serving/server/serve_access.h"
#include "serving/server/tfs_routes.h"
#include "serving/shared/serve_stats.h"
#include "server/tls_setup.h"

namespace mlops::serving {
namespace {

const char* ProtocolOfPath(const std::string& path) {
  if (path.starts_with("/v1/")) return "tfs-v1";
  if (path.starts_with("/v2")) return "oip-v2";
  return "";
}

// Both protocols answer errors as {"error": "..."}: the server's own
// refusals (RFC 7807 problem documents) are rewritten into that shape.
void ToProtocolError(const api::HttpRequest&, api::HttpResponse* resp) {
  if (resp->content_type != "application/problem+json") return;
  nlohmann::json problem = nlohmann::json::parse(resp->body, nullptr, false);
  std::string detail = api::StatusText(resp->status);
  if (problem.is_object() && problem.contains("detail") && problem["detail"].is_string()) {
    detail = problem["detail"].get<std::string>();
  }
  auto headers = std::move(resp->headers);
  *resp = ErrorAnswer(resp->status, detail);
  resp->headers = std::move(headers);
}

// Where the address file is written: through <state>/mlops-serve.addr when
// it is a link (the systemd unit mounts the state folder read only and
// tmpfiles links the file into serving/), else that path itself.
std::string AddressFile(const std::string& state_dir) {
  const std::string path = ServeAddrPath(state_dir);
  std::error_code ec;
  if (!std::filesystem::is_symlink(path, ec)) return path;
  const std::filesystem::path target = std::filesystem::read_symlink(path, ec);
  if (ec) return path;
  return target.is_absolute() ? target.string() : JoinPath(state_dir, target.string());
}

}  // namespace

ServeApp::ServeApp(ServeAppOptions options) : options_(std::move(options)) {}

ServeApp::~ServeApp() { Stop(); }

Status ServeApp::Start() {
  started_ms_ = clock_.WallMillis();
  const std::string db = JoinPath(options_.state_dir, "registry.db");
  MLOPS_RETURN_IF_ERROR(registry::OpenSqliteModelRegistryReadOnly(db, &registry_));
  MLOPS_RETURN_IF_ERROR(registry::OpenSqliteTokenStoreReadOnly(db, &tokens_));
  CanarySource* canaries = options_.canaries;
  if (canaries == nullptr) {
    registry_canaries_ = std::make_unique<RegistryCanaries>(registry_.get());
    canaries = registry_canaries_.get();
  }
  watcher_ = std::make_unique<ModelWatcher>(options_.state_dir, registry_.get(), canaries);
  watcher_->OnSwap([](const ModelSet& set) {
    for (const auto& [name, m] : set.models) {
      spdlog::info("serving {}: production {}{}", name, m.production,
                   m.canary ? ", canary " + std::to_string(m.canary) + " at " +
                                  std::to_string(m.canary_share_percent) + "%"
                            : std::string());
    }
  });
  if (Status s = watcher_->Poll(); !s.ok()) {
    spdlog::warn("first registry poll failed, serving nothing until one succeeds: {}", s.message());
  }
  watcher_->Start(options_.serving.reload_interval);

  PredictionSink sink = options_.prediction_log;
  if (!sink.offer) {
    prediction_log_ = std::make_unique<PredictionLog>(
        JoinPath(options_.state_dir, "serving/predictions"), options_.serving.prediction_log);
    MLOPS_RETURN_IF_ERROR(prediction_log_->Start());
    PredictionLog* log = prediction_log_.get();
    sink.admit = [log](size_t rows) { return log->Admit(rows); };
    sink.offer = [log](PredictionRecord record) { log->Offer(std::move(record)); };
  }
  ModelWatcher* watcher = watcher_.get();
  predictor_ = std::make_unique<Predictor>([watcher] { return watcher->Current(); }, &metrics_,
                                           std::move(sink));
  AddTfServingRoutes(&router_, predictor_.get(), &metrics_, options_.serving);
  AddOpenInferenceRoutes(&router_, predictor_.get(), &metrics_, options_.serving);
  router_.Add("GET", "/metrics", [this, watcher](const api::HttpRequest&) {
    api::HttpResponse r = api::HttpResponse::Text(200, metrics_.Render(*watcher->Current()));
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return r;
  });

  api::HttpServerOptions ho;
  ho.listen = options_.serving.listen;
  ho.threads = options_.serving.threads;
  ho.connections_per_client = options_.serving.threads;
  ho.max_body_bytes = static_cast<size_t>(options_.serving.max_body_mb) << 20;
  if (!options_.tls_cert.empty()) {
    // The joined PEM goes under serving/, the only folder mlops-serve writes.
    MLOPS_RETURN_IF_ERROR(server::PrepareTlsPem(options_.tls_cert, options_.tls_key,
                                                JoinPath(options_.state_dir, "serving"),
                                                &ho.tls_pem));
  }
  http_ = std::make_unique<api::HttpServer>(&router_, ho);
  token_cache_ = std::make_unique<TokenCache>(tokens_.get(), &clock_);
  http_->SetGate(MakeServeGate(token_cache_.get(), {options_.serving.anonymous_predict,
                                                    options_.serving.predict_roles}));
  http_->SetResponseFilter(&ToProtocolError);
  http_->SetObserver([this](const std::string&, const std::string& route, int status,
                            double seconds) {
    // Scrapes of /metrics are not protocol requests.
    if (!TakeRequestCounted() && route != "/metrics") {
      metrics_.Request("", 0, ProtocolOfPath(route), status, seconds);
    }
  });
  MLOPS_RETURN_IF_ERROR(http_->Start());
  WriteStats();
  MLOPS_RETURN_IF_ERROR(WriteFileAtomic(AddressFile(options_.state_dir),
                                        http_->BoundAddress() + "\n", 0644));
  spdlog::info("mlops-serve listening on {}", http_->BoundUrl());
  stats_thread_ = std::thread([this] { StatsLoop(); });
  return Status::OK();
}

void ServeApp::WriteStats() {
  ServeStats stats;
  stats.pid = ::getpid();
  stats.started_ms = started_ms_;
  stats.written_ms = clock_.WallMillis();
  stats.listen = http_ ? http_->BoundAddress() : options_.serving.listen;
  if (watcher_) metrics_.Fill(*watcher_->Current(), &stats);
  if (Status s = WriteServeStats(options_.state_dir, stats); !s.ok()) {
    spdlog::warn("cannot write the serving stats: {}", s.message());
  }
}

void ServeApp::StatsLoop() {
  while (!stopping_.load()) {
    for (int i = 0; i < 10 && !stopping_.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    WriteStats();
  }
}

void ServeApp::Stop() {
  if (stopping_.exchange(true)) return;
  if (http_) {
    http_->Drain(std::chrono::seconds(10));
    http_->Stop();
  }
  if (stats_thread_.joinable()) stats_thread_.join();
  if (watcher_) watcher_->Stop();
  if (prediction_log_) prediction_log_->Stop();  // writes what is queued
}

}  // namespace mlops::serving
