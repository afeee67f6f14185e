// runner_timing: a timing harness, not a test. Runs N sequential `true`
// stages through ProcessStageRunner with the exec plugin, through each way
// of starting stage hosts, and `make -j1` on N `true` targets as the
// reference, all in one run, and prints per attempt the wall time and the
// CPU time of every process involved (this one and all its descendants).
//
//   runner_timing [N [all|make|direct|served [DIR]]]
//     default: 1000 stages, all three, in a temporary folder under DIR
//     (default /tmp; creating a file costs ~0.4 ms in this machine's /tmp
//     but ~0.03 ms elsewhere on the same disk: pick DIR with care).
//
// Each next attempt is started from the previous one's outcome callback,
// on the runner's thread, as a scheduler reacting to outcomes would; the
// stage log is one file per attempt, as in the daemon.
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>

#include "mlops/common/files.h"
#include "process/process_stage_runner.h"
#include "process/stage_orphans.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Cost {
  double wall_ms = -1;  // per attempt; -1 when one failed
  double cpu_ms = 0;    // per attempt, user + system, all processes
};

double CpuMillis() {
  double ms = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    struct rusage ru {};
    ::getrusage(who, &ru);
    ms += (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
          (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
  }
  return ms;
}

std::string MakeTempDir(const std::string& under) {
  std::string tmpl = under + "/mlops-timing-XXXXXX";
  const char* made = ::mkdtemp(tmpl.data());
  return made != nullptr ? made : "";
}

Cost TimeRunner(bool use_fork_server, int n, const std::string& root) {
  const std::string work = root + (use_fork_server ? "/served" : "/direct");
  mlops::MakeDirs(work + "/logs");
  auto spec_for = [&](int i) {
    mlops::AttemptSpec spec;
    spec.attempt_id = i + 1;
    spec.plugin_path = MLOPS_EXEC_PLUGIN_PATH;
    spec.params_json = R"({"run":"true"})";
    spec.work_dir = work;
    spec.log_path = work + "/logs/" + std::to_string(i) + ".log";
    return spec;
  };
  std::mutex mu;
  std::condition_variable cv;
  int done = 0, failed = 0, last = 0;
  std::string first_error;
  mlops::ProcessStageRunner* runner_ptr = nullptr;
  mlops::ProcessStageRunnerOptions options;
  options.stage_host_path = MLOPS_STAGE_HOST_PATH;
  options.use_fork_server = use_fork_server;
  options.spare_log_dir = work + "/logs/.spare";  // as the daemon does
  auto runner = std::make_unique<mlops::ProcessStageRunner>(options, [&](mlops::AttemptOutcome o) {
    std::lock_guard<std::mutex> lock(mu);
    if (o.kind != mlops::AttemptOutcome::Kind::kSucceeded && failed++ == 0) first_error = o.error;
    ++done;
    if (done < last) runner_ptr->Start(spec_for(done));
    cv.notify_all();
  });
  runner_ptr = runner.get();
  // One warm-up attempt: it pays for the page cache and, on the fork-server
  // path, for starting the server.
  auto run_until = [&](int total) {
    {
      std::lock_guard<std::mutex> lock(mu);
      last = total;
    }
    runner->Start(spec_for(done));
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done == total; });
  };
  run_until(1);
  const double cpu_before = CpuMillis();
  const auto start = Clock::now();
  run_until(n + 1);
  const double wall = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  runner.reset();  // reaps the fork server, whose CPU time then counts
  Cost cost;
  cost.cpu_ms = (CpuMillis() - cpu_before) / n;
  if (failed != 0) {
    std::fprintf(stderr, "%d attempts failed, first: %s\n", failed, first_error.c_str());
    return cost;
  }
  cost.wall_ms = wall / n;
  return cost;
}

Cost TimeMake(int n, const std::string& root) {
  std::string dir = root + "/make";
  mlops::MakeDirs(dir);
  {
    std::ofstream mk(dir + "/Makefile");
    mk << ".PHONY: all";
    for (int i = 0; i < n; ++i) mk << " t" << i;
    mk << "\nall:";
    for (int i = 0; i < n; ++i) mk << " t" << i;
    mk << "\n";
    for (int i = 0; i < n; ++i) mk << "t" << i << ":\n\t@true\n";
  }
  std::string cmd = "make -s -j1 -C " + dir + " all";
  const double cpu_before = CpuMillis();
  const auto start = Clock::now();
  int rc = std::system(cmd.c_str());
  Cost cost;
  cost.cpu_ms = (CpuMillis() - cpu_before) / n;
  if (rc == 0) cost.wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count() / n;
  return cost;
}

void Print(const char* what, const Cost& c, const Cost& make) {
  if (c.wall_ms < 0) {
    std::printf("%-22s failed\n", what);
    return;
  }
  std::printf("%-22s %7.3f ms wall (%4.2fx make)  %7.3f ms CPU (%4.2fx make)\n", what, c.wall_ms,
              make.wall_ms > 0 ? c.wall_ms / make.wall_ms : 0, c.cpu_ms,
              make.cpu_ms > 0 ? c.cpu_ms / make.cpu_ms : 0);
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  if (n <= 0) n = 1000;
  std::string only = argc > 2 ? argv[2] : "";
  if (only == "all") only.clear();
  if (!mlops::BecomeChildSubreaper().ok()) return 1;
  std::string root = MakeTempDir(argc > 3 ? argv[3] : "/tmp");
  if (root.empty()) return 1;
  Cost none;
  Cost make = only.empty() || only == "make" ? TimeMake(n, root) : none;
  Cost direct = only.empty() || only == "direct" ? TimeRunner(false, n, root) : none;
  Cost served = only.empty() || only == "served" ? TimeRunner(true, n, root) : none;
  mlops::RemoveTree(root);
  std::ifstream loadavg("/proc/loadavg");
  std::string load;
  std::getline(loadavg, load);
  std::printf("%d sequential `true` stages, per stage (loadavg after: %s):\n", n, load.c_str());
  if (only.empty() || only == "make") Print("make -j1 (reference)", make, make);
  if (only.empty() || only == "direct") Print("own stage host", direct, make);
  if (only.empty() || only == "served") Print("fork server", served, make);
  return 0;
}
