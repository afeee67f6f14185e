// Process metrics under their conventional unprefixed names
// (process_cpu_seconds_total, process_resident_memory_bytes, ...), which
// dashboards and alert rules expect from any exporter, read from /proc.
// Thread-safety: ReadProcessSample is a pure function of the files it reads;
// the registered callbacks may run on any thread.
#pragma once

#include <string>

#include "metrics/metric_registry.h"

namespace mlops::metrics {

struct ProcessSample {
  double cpu_seconds = 0;         // user + system time
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double start_time_seconds = 0;  // since the Unix epoch
  double open_fds = 0;
  double max_fds = 0;             // soft limit
};

// Reads <proc_root>/self/stat, <proc_root>/stat (boot time),
// <proc_root>/self/limits and the entries of <proc_root>/self/fd.
// `ticks_per_second` and `page_size` convert /proc's units. Returns false
// when self/stat cannot be read or parsed; fields it could not read stay 0.
bool ReadProcessSample(const std::string& proc_root, long ticks_per_second, long page_size,
                       ProcessSample* out);

// Declares process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_start_time_seconds,
// process_open_fds and process_max_fds, read from `proc_root` at scrape time.
void AddProcessMetrics(Registry* registry, const std::string& proc_root = "/proc");

}  // namespace mlops::metrics
