#include "serving/canary_controller.h"

#include <spdlog/spdlog.h>

#include "serving/canary_policy_json.h"

namespace mlops::serving {

CanaryController::CanaryController(registry::ModelRegistry* models, Clock* clock,
                                   CanaryControllerOptions options)
    : models_(models), clock_(clock), options_(std::move(options)) {}

CanaryController::~CanaryController() { Stop(); }

void CanaryController::Start() {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(stop_mu_);
    while (!stopping_) {
      lock.unlock();
      Tick();
      lock.lock();
      stop_cv_.wait_for(lock, options_.tick, [this] { return stopping_; });
    }
  });
}

void CanaryController::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CanaryController::Tick() {
  std::vector<registry::CanaryRecord> canaries;
  Status s = models_->ListCanaries(&canaries);
  if (!s.ok()) {
    spdlog::warn("canary: cannot list canaries: {}", s.message());
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, Track> kept;
  for (const registry::CanaryRecord& c : canaries) {
    Track t = tracks_.count(c.model) ? tracks_[c.model] : Track{};
    registry::ModelRecord m;
    if (!models_->GetModel(c.model, &m).ok()) continue;
    if (m.production_version == c.version) {
      // Promoted by hand meanwhile: the canary has nothing left to try.
      End(c, "canary.stop", "version " + std::to_string(c.version) + " is in production now", "{}");
      continue;
    }
    TickOne(c, m.production_version, &t);
    kept[c.model] = std::move(t);
  }
  tracks_ = std::move(kept);
}

void CanaryController::NewWindow(const ServeStats* s, const std::string& model, Track* t) {
  t->window_start = clock_->Now();
  t->have_baseline = false;
  if (s == nullptr) return;
  auto m = s->models.find(model);
  if (m == s->models.end()) return;
  auto cv = m->second.versions.find(t->version);
  auto pv = m->second.versions.find(t->production);
  if (cv == m->second.versions.end()) return;
  t->have_baseline = true;
  t->pid = s->pid;
  t->started_ms = s->started_ms;
  t->canary_base = cv->second;
  t->production_base = pv == m->second.versions.end() ? VersionStats{} : pv->second;
}

void CanaryController::TickOne(const registry::CanaryRecord& c, int64_t production, Track* t) {
  pipeline::CanaryPolicy policy;
  Status ps = CanaryPolicyFromJson(c.policy_json, &policy);
  if (!ps.ok()) {
    t->note = "not judged: " + ps.message();
    return;
  }
  ServeStats snap;
  Status rs = ReadServeStats(options_.state_dir, &snap);
  const bool fresh = rs.ok() && clock_->WallMillis() - snap.written_ms <= options_.stale_after.count();
  if (t->version != c.version || t->production != production) {
    *t = Track{};
    t->version = c.version;
    t->production = production;
    NewWindow(fresh ? &snap : nullptr, c.model, t);
    t->note = "first window started";
    return;
  }
  if (clock_->Now() - t->window_start < policy.window) {
    if (!t->have_baseline && fresh) NewWindow(&snap, c.model, t);
    return;
  }
  // The window ended: judge it if the figures allow.
  if (!rs.ok()) {
    t->note = rs.IsNotFound() ? "no data: " + ServeStatsPath(options_.state_dir) + " does not exist (is mlops-serve running?)"
                              : "no data: " + rs.message();
  } else if (!fresh) {
    t->note = "no data: stats.json was last written " +
              std::to_string((clock_->WallMillis() - snap.written_ms) / 1000) +
              "s ago (is mlops-serve running?)";
  } else if (!t->have_baseline) {
    t->note = "no data: mlops-serve did not report version " + std::to_string(c.version) +
              " of '" + c.model + "' at the window's start";
  } else if (snap.pid != t->pid || snap.started_ms != t->started_ms) {
    t->note = "no decision: mlops-serve restarted within the window; its counters start again";
  } else {
    const ModelStats& ms = snap.models.count(c.model) ? snap.models.at(c.model) : ModelStats{};
    auto cv = ms.versions.find(c.version);
    auto pv = ms.versions.find(production);
    if (cv == ms.versions.end()) {
      t->note = "no data: mlops-serve does not report version " + std::to_string(c.version);
    } else if (!cv->second.state.empty() && cv->second.state != "AVAILABLE") {
      t->note = "no decision: mlops-serve does not serve version " + std::to_string(c.version) +
                " (" + cv->second.state + (cv->second.reason.empty() ? "" : ": " + cv->second.reason) + ")";
    } else {
      const VersionStats cd = Delta(t->canary_base, cv->second);
      const VersionStats pd =
          pv == ms.versions.end() ? VersionStats{} : Delta(t->production_base, pv->second);
      WindowVerdict v = JudgeWindow(policy, cd, pd);
      t->last_verdict = VerdictJson(v);
      if (!v.decided) {
        t->note = "no decision: " + v.no_decision;
      } else {
        t->note.clear();
        ++t->windows_judged;
        Act(c, policy, v, t);
      }
    }
  }
  NewWindow(fresh ? &snap : nullptr, c.model, t);
}

void CanaryController::End(const registry::CanaryRecord& c, const std::string& action,
                           const std::string& reason, const std::string& detail) {
  registry::CanaryChange ch{"mlopsd", reason, detail, clock_->WallMillis()};
  Status s = models_->EndCanary(c.model, c.version, action, ch);
  if (!s.ok()) spdlog::warn("canary {} version {}: {} not recorded: {}", c.model, c.version, action, s.message());
}

void CanaryController::Act(const registry::CanaryRecord& c, const pipeline::CanaryPolicy& policy,
                           const WindowVerdict& v, Track* t) {
  const std::string detail = t->last_verdict;
  const int64_t now = clock_->WallMillis();
  if (v.breached) {
    ++t->breaches;
    std::string broken;
    for (const std::string& b : v.breaches) broken += (broken.empty() ? "" : "; ") + b;
    if (t->breaches < 2) {
      spdlog::warn("canary {} version {}: limit broken in one window: {}", c.model, c.version, broken);
      return;
    }
    spdlog::warn("canary {} version {} rolled back: limits broken in {} consecutive windows: {}",
                 c.model, c.version, t->breaches, broken);
    End(c, "canary.rollback", "limits broken in two consecutive windows: " + broken, detail);
    if (options_.on_rollback) options_.on_rollback(c.model);
    return;
  }
  t->breaches = 0;
  if (c.state == "ready") return;
  size_t step = 0;
  while (step < policy.steps.size() && policy.steps[step] <= c.share_percent) ++step;
  if (step < policy.steps.size()) {
    const int next = policy.steps[step];
    Status s = models_->UpdateCanary(c.model, c.version, next, "running",
                                     {"mlopsd", "held a window at " + std::to_string(c.share_percent) +
                                                    "%: now " + std::to_string(next) + "%",
                                      detail, now});
    if (!s.ok()) spdlog::warn("canary {}: share not changed: {}", c.model, s.message());
    else spdlog::info("canary {} version {}: share {}% -> {}%", c.model, c.version, c.share_percent, next);
    return;
  }
  const std::string held = "held a window at " + std::to_string(c.share_percent) + "%, the last step";
  if (policy.promote == "auto" && options_.promote) {
    Status s = options_.promote(c.model, c.version, "canary " + held);
    if (s.ok()) {
      spdlog::info("canary {} version {} promoted to production", c.model, c.version);
      End(c, "canary.promote", held + ": promoted to production", detail);
      return;
    }
    spdlog::warn("canary {} version {}: automatic promotion refused: {}", c.model, c.version, s.message());
    (void)models_->UpdateCanary(c.model, c.version, c.share_percent, "ready",
                                {"mlopsd", held + "; automatic promotion refused: " + s.message(), detail, now});
    return;
  }
  Status s = models_->UpdateCanary(c.model, c.version, c.share_percent, "ready",
                                   {"mlopsd", held + ": ready for an admin to promote", detail, now});
  if (!s.ok()) spdlog::warn("canary {}: not marked ready: {}", c.model, s.message());
}

nlohmann::json CanaryController::StatusJson() {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json out = nlohmann::json::object();
  const TimePoint now = clock_->Now();
  for (const auto& [model, t] : tracks_) {
    out[model] = {{"version", t.version},
                  {"window_elapsed_ms", (now - t.window_start).count()},
                  {"windows_judged", t.windows_judged},
                  {"consecutive_breaches", t.breaches},
                  {"note", t.note},
                  {"last_window", nlohmann::json::parse(t.last_verdict, nullptr, false)}};
  }
  return out;
}

}  // namespace mlops::serving
