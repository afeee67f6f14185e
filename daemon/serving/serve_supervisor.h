// ServeSupervisor: mlopsd runs mlops-serve as a child when its config has a
// `serving:` section (docs/serving.md "Running it").
//
// - Started as `mlops-serve --state-dir S --listen L --config F` in a
//   session of its own (through SpawnStageHost, so that the daemon's orphan
//   sweep leaves it alone), so that neither a signal to mlopsd's process
//   group nor `kill -9` of mlopsd reaches it; its output is appended to
//   <state>/logs/mlops-serve.log.
// - Its pid and start time (from /proc/PID/stat) are kept in
//   <state>/serving/mlops-serve.pid. At start, mlopsd adopts the process
//   that file names when it still runs with that start time and is
//   mlops-serve (/proc/PID/comm), instead of starting a second one; an
//   adopted server is watched through /proc, since it is not mlopsd's child.
// - When it ends, it is started again after a backoff that starts at 1 s
//   and doubles up to `serving.restart_backoff_max`; a run longer than that
//   cap resets it.
// - mlopsd's own stop leaves it running (a restart of mlopsd, by any means,
//   does not interrupt serving); the next mlopsd adopts it.
// Thread-safety: Start/Stop from one thread; StatusJson from any.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "mlops/common/status.h"

namespace mlops::serving {

struct ServeSupervisorOptions {
  std::string binary;       // mlops-serve
  std::string state_dir;
  std::string listen;       // serving.listen
  std::string config_file;  // mlopsd's config file (holds `serving:`)
  std::chrono::milliseconds restart_backoff_max{std::chrono::seconds(30)};
  std::chrono::milliseconds poll{std::chrono::milliseconds(200)};
};

class ServeSupervisor {
 public:
  explicit ServeSupervisor(ServeSupervisorOptions options);
  ~ServeSupervisor();
  ServeSupervisor(const ServeSupervisor&) = delete;
  ServeSupervisor& operator=(const ServeSupervisor&) = delete;

  // Adopts the running server or starts one, then watches it on a thread.
  // An error only when the binary is missing.
  Status Start();
  // Stops watching; the server keeps running.
  void Stop();

  // {"state": "running"|"adopted"|"waiting to restart"|"stopped", "pid",
  //  "restarts", "last_exit"}.
  nlohmann::json StatusJson();

  // <state>/serving/mlops-serve.pid.
  static std::string PidFile(const std::string& state_dir);

 private:
  void Watch();
  bool Alive();
  void Spawn();

  ServeSupervisorOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  pid_t pid_ = -1;
  bool adopted_ = false;      // pid_ is not our child
  uint64_t start_ticks_ = 0;  // /proc/PID/stat start time of pid_
  int restarts_ = 0;
  std::string last_exit_;
  std::chrono::steady_clock::time_point started_at_;
  std::chrono::milliseconds backoff_{1000};
  std::thread thread_;
};

}  // namespace mlops::serving
