// Test helpers for running real stage attempts: a temporary folder, attempt
// specs laid out in it, an outcome collector that waits with a bound, and
// small file/pid helpers. Header-only; used by tests/plugins and tests/process.
#pragma once

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mlops/common/files.h"
#include "process/stage_runner.h"

namespace mlops::testing {

using namespace std::chrono_literals;

inline std::string FixturePath(const std::string& name) {
  return std::string(MLOPS_TEST_PLUGIN_DIR) + "/" + name + ".so";
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "mlops-XXXXXX";
    char* made = ::mkdtemp(tmpl.data());
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() { RemoveTree(path_); }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// work_dir = <root>/work, scratch = <root>/scratch/<id>, log = <root>/logs/<id>.log.
inline AttemptSpec MakeSpec(const TempDir& root, int64_t id, const std::string& plugin_path,
                            const std::string& params_json = "{}") {
  AttemptSpec spec;
  spec.attempt_id = id;
  spec.plugin_path = plugin_path;
  spec.params_json = params_json;
  spec.work_dir = root / "work";
  spec.scratch_dir = root / ("scratch/" + std::to_string(id));
  spec.log_path = root / ("logs/" + std::to_string(id) + ".log");
  spec.timeout = 30s;
  spec.kill_grace = 2s;
  MakeDirs(spec.work_dir);
  return spec;
}

// Collects outcomes from any thread; waits for them with a bound.
class OutcomeCollector {
 public:
  StageRunner::OnFinished Callback() {
    return [this](AttemptOutcome o) {
      std::lock_guard<std::mutex> lock(mu_);
      ++count_by_id_[o.attempt_id];
      outcomes_.push_back(std::move(o));
      cv_.notify_all();
    };
  }
  // The first outcome of `id`, waiting at most `limit`; false on time-out.
  bool Wait(int64_t id, AttemptOutcome* out, std::chrono::milliseconds limit = 20s) {
    std::unique_lock<std::mutex> lock(mu_);
    bool found = cv_.wait_for(lock, limit, [&] { return count_by_id_.count(id) != 0; });
    if (!found) return false;
    for (const AttemptOutcome& o : outcomes_) {
      if (o.attempt_id == id) {
        *out = o;
        break;
      }
    }
    return true;
  }
  bool WaitForTotal(size_t n, std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return outcomes_.size() >= n; });
  }
  std::map<int64_t, int> CountById() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_by_id_;
  }
  size_t Total() {
    std::lock_guard<std::mutex> lock(mu_);
    return outcomes_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<AttemptOutcome> outcomes_;
  std::map<int64_t, int> count_by_id_;
};

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Polls for a file a fixture writes; false if it has not appeared in `limit`.
inline bool WaitForFile(const std::string& path, std::chrono::milliseconds limit = 10s) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!PathExists(path)) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

inline pid_t ReadPid(const std::string& path) {
  return static_cast<pid_t>(std::atol(ReadText(path).c_str()));
}

// True when no process has this pid (a zombie still counts as one).
inline bool ProcessGone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

// The parent of `pid` from /proc/<pid>/stat; 0 when it cannot be read.
inline pid_t ParentOf(pid_t pid) {
  std::string text = ReadText("/proc/" + std::to_string(pid) + "/stat");
  size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  char state = 0;
  int ppid = 0;
  if (std::sscanf(text.c_str() + close + 1, " %c %d", &state, &ppid) != 2) return 0;
  return ppid;
}
inline bool GroupGone(pid_t pgid) { return ::kill(-pgid, 0) != 0 && errno == ESRCH; }

}  // namespace mlops::testing
