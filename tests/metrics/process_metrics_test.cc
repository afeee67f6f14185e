// Process metrics read from a fake /proc tree (exact values) and from the
// real one (plausible values).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "metrics/metric_registry.h"
#include "metrics/process_metrics.h"

namespace mlops::metrics {
namespace {

class FakeProc {
 public:
  FakeProc() {
    char tmpl[] = "/tmp/mlops-proc-XXXXXX";
    root_ = ::mkdtemp(tmpl);
    ::mkdir((root_ + "/self").c_str(), 0700);
    ::mkdir((root_ + "/self/fd").c_str(), 0700);
  }
  ~FakeProc() { std::system(("rm -rf '" + root_ + "'").c_str()); }
  void Write(const std::string& rel, const std::string& text) {
    std::ofstream(root_ + "/" + rel) << text;
  }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

TEST(ProcessSample, ReadsStatFieldsAfterACommandNameWithSpacesAndParens) {
  FakeProc proc;
  // Fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
  // majflt cmajflt utime stime cutime cstime prio nice threads itreal
  // starttime vsize rss ...
  proc.Write("self/stat",
             "4242 (ml opsd) (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 "
             "250 150 0 0 20 0 9 0 5000 123456789 300 18446744073709551615 0 0\n");
  proc.Write("stat", "cpu  1 2 3\nbtime 1700000000\nprocesses 5\n");
  proc.Write("self/limits",
             "Limit                     Soft Limit           Hard Limit           Units\n"
             "Max open files            1024                 524288               files\n");
  for (const char* fd : {"0", "1", "2", "7"}) proc.Write(std::string("self/fd/") + fd, "");
  ProcessSample s;
  ASSERT_TRUE(ReadProcessSample(proc.root(), 100, 4096, &s));
  EXPECT_DOUBLE_EQ(s.cpu_seconds, 4.0);              // (250 + 150) / 100
  EXPECT_DOUBLE_EQ(s.start_time_seconds, 1700000050);  // btime + 5000 / 100
  EXPECT_DOUBLE_EQ(s.virtual_bytes, 123456789);
  EXPECT_DOUBLE_EQ(s.resident_bytes, 300 * 4096.0);
  EXPECT_DOUBLE_EQ(s.max_fds, 1024);
  EXPECT_DOUBLE_EQ(s.open_fds, 4);
}

TEST(ProcessSample, FailsOnATruncatedStatFile) {
  FakeProc proc;
  proc.Write("self/stat", "4242 (mlopsd) S 1 2 3\n");
  ProcessSample s;
  EXPECT_FALSE(ReadProcessSample(proc.root(), 100, 4096, &s));
  EXPECT_FALSE(ReadProcessSample(proc.root() + "/missing", 100, 4096, &s));
}

TEST(ProcessSample, RealProcIsPlausible) {
  ProcessSample s;
  ASSERT_TRUE(ReadProcessSample("/proc", ::sysconf(_SC_CLK_TCK), ::sysconf(_SC_PAGESIZE), &s));
  EXPECT_GT(s.resident_bytes, 1 << 20);
  EXPECT_GE(s.open_fds, 3);  // stdin, stdout, stderr
  EXPECT_GT(s.max_fds, s.open_fds);
  const double now = static_cast<double>(::time(nullptr));
  EXPECT_LE(s.start_time_seconds, now + 1);
  EXPECT_GT(s.start_time_seconds, now - 3600);  // this test started recently
  EXPECT_GE(s.cpu_seconds, 0);
}

TEST(ProcessMetrics, DeclaresConventionalFamilies) {
  Registry r;
  AddProcessMetrics(&r);
  const std::string text = r.Expose();
  for (const char* line : {"# TYPE process_cpu_seconds_total counter",
                           "# TYPE process_resident_memory_bytes gauge",
                           "# TYPE process_virtual_memory_bytes gauge",
                           "# TYPE process_start_time_seconds gauge",
                           "# TYPE process_open_fds gauge", "# TYPE process_max_fds gauge"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
  EXPECT_EQ(text.find("process_resident_memory_bytes 0\n"), std::string::npos);
}

}  // namespace
}  // namespace mlops::metrics
