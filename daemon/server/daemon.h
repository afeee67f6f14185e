// Daemon: wires the registry, plugin catalog, stage runner, scheduler,
// pipeline library and HTTP API into the running mlopsd, and owns the one
// shutdown path (RequestStop may be called from a signal-handling thread).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "mlops/common/status.h"
#include "server/config.h"

namespace mlops::server {

class Daemon {
 public:
  explicit Daemon(DaemonConfig config);
  ~Daemon();

  // Opens state, recovers interrupted runs, registers pipelines, starts the
  // API, writes <state>/mlopsd.addr and notifies systemd READY=1.
  Status Start();
  // Runs the scheduler loop until RequestStop(); then shuts down gracefully.
  void Run();
  void RequestStop();
  std::string BoundAddress() const;

 private:
  struct Parts;
  DaemonConfig config_;
  std::unique_ptr<Parts> parts_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> ready_{false};
};

}  // namespace mlops::server
