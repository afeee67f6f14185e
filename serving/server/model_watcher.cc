#include "serving/server/model_watcher.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <set>

#include "mlops/common/clock.h"
#include "mlops/common/files.h"
#include "models/stable_path.h"
#include "models/version_check.h"

namespace mlops::serving {
namespace {

// A FAILED version is tried again after this long (a folder still being
// published, a key trusted later).
constexpr int64_t kRetryFailedMs = 5000;

// The same version as far as serving goes: the same loaded object, or two
// placeholders (not served) saying the same.
bool SameVersion(const std::shared_ptr<const LoadedVersion>& a,
                 const std::shared_ptr<const LoadedVersion>& b) {
  if (a == b) return true;
  return !a->available() && !b->available() && a->state == b->state && a->reason == b->reason;
}

bool SameVersions(const std::map<int64_t, std::shared_ptr<const LoadedVersion>>& a,
                  const std::map<int64_t, std::shared_ptr<const LoadedVersion>>& b) {
  if (a.size() != b.size()) return false;
  for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
    if (i->first != j->first || !SameVersion(i->second, j->second)) return false;
  }
  return true;
}

bool SameSet(const ModelSet& a, const ModelSet& b) {
  if (a.complete != b.complete || a.models.size() != b.models.size()) return false;
  for (const auto& [name, m] : a.models) {
    auto it = b.models.find(name);
    if (it == b.models.end()) return false;
    const ServedModel& o = it->second;
    if (m.production != o.production || m.canary != o.canary ||
        m.canary_share_percent != o.canary_share_percent || !SameVersions(m.versions, o.versions)) {
      return false;
    }
  }
  return true;
}

}  // namespace

Status RegistryCanaries::List(std::vector<CanaryAssignment>* out) {
  std::vector<registry::CanaryRecord> records;
  MLOPS_RETURN_IF_ERROR(registry_->ListCanaries(&records));
  out->clear();
  for (const auto& c : records) out->push_back({c.model, c.version, c.share_percent});
  return Status::OK();
}

ModelWatcher::ModelWatcher(std::string state_dir, registry::ModelRegistry* registry,
                           CanarySource* canaries)
    : state_dir_(std::move(state_dir)), registry_(registry), canaries_(canaries),
      current_(std::make_shared<ModelSet>()) {}

ModelWatcher::~ModelWatcher() { Stop(); }

std::shared_ptr<const ModelSet> ModelWatcher::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

int64_t ModelWatcher::ProductionFromLink(const std::string& model) const {
  const std::string link = models::ProductionLink(JoinPath(state_dir_, "models"), model);
  char buf[256];
  const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return 0;
  const std::string target(buf, static_cast<size_t>(n));
  constexpr std::string_view kPrefix = "versions/";
  if (!target.starts_with(kPrefix)) return 0;
  const std::string digits = target.substr(kPrefix.size());
  if (digits.empty() || digits.size() > 18 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return 0;
  }
  return std::stoll(digits);
}

std::shared_ptr<const LoadedVersion> ModelWatcher::Version(
    const std::string& model, int64_t version, const std::vector<signing::TrustedKey>& trusted,
    int64_t now_ms) {
  Held& h = held_[{model, version}];
  if (h.version && h.version->available()) {
    for (const auto& k : trusted) {
      if (k.revoked && k.key.key_id == h.version->key_id) {
        h.version = UnservedVersion(model, version, kStateFailed,
                                    "signature by revoked key " + h.version->key_id);
        h.tried_ms = now_ms;
        spdlog::warn("model {} version {} unloaded: {}", model, version, h.version->reason);
        break;
      }
    }
    return h.version;
  }
  if (h.version && now_ms - h.tried_ms < kRetryFailedMs) return h.version;
  h.tried_ms = now_ms;
  registry::ModelVersionRecord rec;
  Status s = registry_->GetVersion(model, version, &rec);
  std::shared_ptr<const LoadedVersion> loaded =
      s.ok() ? LoadVerifiedVersion(rec, models::VersionDir(JoinPath(state_dir_, "models"), model,
                                                           version),
                                   trusted)
             : UnservedVersion(model, version, kStateFailed, "registry: " + s.message());
  if (loaded->available()) {
    spdlog::info("model {} version {} loaded (sha256 {}, key {})", model, version,
                 loaded->artifact_sha256, loaded->key_id);
  } else if (!h.version || h.version->reason != loaded->reason) {
    spdlog::warn("model {} version {} not loaded: {}", model, version, loaded->reason);
  }
  h.version = loaded;
  return h.version;
}

Status ModelWatcher::Poll() {
  std::vector<registry::ModelRecord> models;
  MLOPS_RETURN_IF_ERROR(registry_->ListModels(&models));
  std::vector<signing::TrustedKey> trusted;
  MLOPS_RETURN_IF_ERROR(models::ListTrustedKeys(registry_, &trusted));
  std::vector<CanaryAssignment> canaries;
  MLOPS_RETURN_IF_ERROR(canaries_->List(&canaries));
  const int64_t now_ms = SystemClock().WallMillis();

  auto next = std::make_shared<ModelSet>();
  next->complete = true;
  std::set<std::pair<std::string, int64_t>> wanted;
  for (const auto& m : models) {
    if (m.production_version == 0) continue;
    ServedModel& sm = next->models[m.name];
    sm.name = m.name;
    sm.production = ProductionFromLink(m.name);
    if (sm.production == 0) {
      sm.production = m.production_version;
      sm.versions[sm.production] = UnservedVersion(m.name, sm.production, kStateLoading,
                                                   "waiting for the production link");
    } else {
      sm.versions[sm.production] = Version(m.name, sm.production, trusted, now_ms);
      wanted.insert({m.name, sm.production});
    }
    for (const auto& c : canaries) {
      if (c.model != m.name || c.version == sm.production) continue;
      sm.canary = c.version;
      sm.canary_share_percent = c.share_percent;
      sm.versions[c.version] = Version(m.name, c.version, trusted, now_ms);
      wanted.insert({m.name, c.version});
    }
  }
  for (auto it = held_.begin(); it != held_.end();) {
    it = wanted.count(it->first) ? std::next(it) : held_.erase(it);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (SameSet(*current_, *next)) return Status::OK();
    current_ = next;
  }
  if (on_swap_) on_swap_(*next);
  return Status::OK();
}

void ModelWatcher::Start(std::chrono::milliseconds interval) {
  thread_ = std::thread([this, interval] {
    std::string last_error;
    std::unique_lock<std::mutex> lock(stop_mu_);
    while (!stopping_) {
      lock.unlock();
      Status s = Poll();
      if (!s.ok() && s.message() != last_error) {
        spdlog::warn("registry poll failed (the models served stay as they were): {}",
                     s.message());
      }
      last_error = s.ok() ? "" : s.message();
      lock.lock();
      stop_cv_.wait_for(lock, interval, [this] { return stopping_; });
    }
  });
}

void ModelWatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace mlops::serving
