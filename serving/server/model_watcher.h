// ModelWatcher: keeps mlops-serve's ModelSet in step with the registry.
// Every poll it reads (read-only) the models, their production links
// (<state>/models/<name>/production -> versions/<v>), the canaries and the
// trust store; it loads and verifies any version it does not hold yet off
// the request path, marks FAILED a held version whose key was revoked since,
// retries a FAILED load every few seconds, and swaps in a new immutable set
// only when something changed. The production link, not the registry row,
// says which version is production: it is what promotion publishes last.
// Thread-safety: Current() from any thread; Poll() from one thread at a
// time (the watcher's own once Start()ed).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mlops/common/status.h"
#include "mlops/registry/model_registry.h"
#include "serving/server/model_set.h"

namespace mlops::serving {

struct CanaryAssignment {
  std::string model;
  int64_t version = 0;
  int share_percent = 0;
};

// Where canaries come from (the registry's canary table).
class CanarySource {
 public:
  virtual ~CanarySource() = default;
  virtual Status List(std::vector<CanaryAssignment>* out) = 0;
};

// The registry's canary table (every canary, running or ready, answers its
// share). REQUIRES: the registry outlives it.
class RegistryCanaries final : public CanarySource {
 public:
  explicit RegistryCanaries(registry::ModelRegistry* registry) : registry_(registry) {}
  Status List(std::vector<CanaryAssignment>* out) override;

 private:
  registry::ModelRegistry* registry_;
};

class ModelWatcher {
 public:
  // REQUIRES: registry and canaries outlive the watcher.
  ModelWatcher(std::string state_dir, registry::ModelRegistry* registry, CanarySource* canaries);
  ~ModelWatcher();

  // One round; the set is swapped only when it changed.
  Status Poll();
  std::shared_ptr<const ModelSet> Current() const;
  // Called (on the polling thread) after each swap with the new set.
  void OnSwap(std::function<void(const ModelSet&)> f) { on_swap_ = std::move(f); }

  void Start(std::chrono::milliseconds interval);
  void Stop();

 private:
  std::shared_ptr<const LoadedVersion> Version(const std::string& model, int64_t version,
                                               const std::vector<signing::TrustedKey>& trusted,
                                               int64_t now_ms);
  int64_t ProductionFromLink(const std::string& model) const;

  const std::string state_dir_;
  registry::ModelRegistry* const registry_;
  CanarySource* const canaries_;
  std::function<void(const ModelSet&)> on_swap_;

  mutable std::mutex mu_;  // guards current_
  std::shared_ptr<const ModelSet> current_;

  struct Held {
    std::shared_ptr<const LoadedVersion> version;
    int64_t tried_ms = 0;
  };
  std::map<std::pair<std::string, int64_t>, Held> held_;  // polling thread only

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mlops::serving
