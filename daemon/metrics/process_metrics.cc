#include "metrics/process_metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <vector>

namespace mlops::metrics {
namespace {

bool ReadAll(const std::string& path, std::string* out) {
  std::ifstream f(path);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

double BootTimeSeconds(const std::string& proc_root) {
  std::ifstream f(proc_root + "/stat");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("btime ", 0) == 0) return std::strtod(line.c_str() + 6, nullptr);
  }
  return 0;
}

double SoftFdLimit(const std::string& proc_root) {
  std::ifstream f(proc_root + "/self/limits");
  std::string line;
  const std::string key = "Max open files";
  while (std::getline(f, line)) {
    if (line.rfind(key, 0) != 0) continue;
    std::istringstream in(line.substr(key.size()));
    std::string soft;
    in >> soft;
    return soft == "unlimited" ? 0 : std::strtod(soft.c_str(), nullptr);
  }
  return 0;
}

// Entries of a /proc/<pid>/fd folder, less the descriptor that reading the
// folder opens (an entry linking back to the folder itself).
double CountFds(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return 0;
  const std::string own = std::to_string(::dirfd(d));
  double n = 0;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    if (own == e->d_name) {
      char target[4096];
      const ssize_t len = ::readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
      if (len > 0 && std::string(target, static_cast<size_t>(len)).find("/fd") != std::string::npos) {
        continue;
      }
    }
    ++n;
  }
  ::closedir(d);
  return n;
}

// Reads /proc at most once per scrape: every process_* callback of one
// scrape shares the sample taken by the first.
class ProcessSampler {
 public:
  explicit ProcessSampler(std::string proc_root)
      : proc_root_(std::move(proc_root)),
        ticks_(::sysconf(_SC_CLK_TCK)),
        page_(::sysconf(_SC_PAGESIZE)) {}

  ProcessSample Get() {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (now - taken_ > std::chrono::milliseconds(100)) {
      ReadProcessSample(proc_root_, ticks_, page_, &sample_);
      taken_ = now;
    }
    return sample_;
  }

 private:
  const std::string proc_root_;
  const long ticks_, page_;
  std::mutex mu_;
  ProcessSample sample_;                          // protected by mu_
  std::chrono::steady_clock::time_point taken_;  // protected by mu_
};

}  // namespace

bool ReadProcessSample(const std::string& proc_root, long ticks_per_second, long page_size,
                       ProcessSample* out) {
  *out = ProcessSample{};
  out->max_fds = SoftFdLimit(proc_root);
  out->open_fds = CountFds(proc_root + "/self/fd");
  std::string stat;
  if (!ReadAll(proc_root + "/self/stat", &stat)) return false;
  // The command name (field 2) is in parentheses and may hold spaces and
  // parentheses itself: fields are counted from the last ')'.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream in(stat.substr(close + 1));
  std::vector<std::string> f;  // f[0] is field 3 (state)
  for (std::string tok; in >> tok;) f.push_back(tok);
  if (f.size() < 22 || ticks_per_second <= 0) return false;
  const auto num = [&](size_t field) { return std::strtod(f[field - 3].c_str(), nullptr); };
  out->cpu_seconds = (num(14) + num(15)) / static_cast<double>(ticks_per_second);
  out->start_time_seconds =
      BootTimeSeconds(proc_root) + num(22) / static_cast<double>(ticks_per_second);
  out->virtual_bytes = num(23);
  out->resident_bytes = num(24) * static_cast<double>(page_size);
  return true;
}

void AddProcessMetrics(Registry* r, const std::string& proc_root) {
  auto sampler = std::make_shared<ProcessSampler>(proc_root);
  r->AddCounterFunc("process_cpu_seconds_total", "User and system CPU time spent, in seconds.",
                    [sampler] { return sampler->Get().cpu_seconds; });
  r->AddGaugeFunc("process_resident_memory_bytes", "Resident memory size in bytes.",
                  [sampler] { return sampler->Get().resident_bytes; });
  r->AddGaugeFunc("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                  [sampler] { return sampler->Get().virtual_bytes; });
  r->AddGaugeFunc("process_start_time_seconds",
                  "Start time of the process since the Unix epoch, in seconds.",
                  [sampler] { return sampler->Get().start_time_seconds; });
  r->AddGaugeFunc("process_open_fds", "Number of open file descriptors.",
                  [sampler] { return sampler->Get().open_fds; });
  r->AddGaugeFunc("process_max_fds", "Maximum number of open file descriptors (soft limit).",
                  [sampler] { return sampler->Get().max_fds; });
}

}  // namespace mlops::metrics
