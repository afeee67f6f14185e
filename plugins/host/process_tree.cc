#include "process_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace mlops::proctree {
namespace {

// Reads a small /proc file whole. Empty on failure.
std::string ReadSmallFile(const char* path) {
  std::string out;
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace

std::vector<pid_t> ListChildren() {
  std::vector<pid_t> pids;
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return pids;
  while (struct dirent* e = ::readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string path = std::string("/proc/self/task/") + e->d_name + "/children";
    std::string text = ReadSmallFile(path.c_str());
    const char* p = text.c_str();
    char* end = nullptr;
    for (long v = std::strtol(p, &end, 10); end != p; v = std::strtol(p, &end, 10)) {
      pids.push_back(static_cast<pid_t>(v));
      p = end;
    }
  }
  ::closedir(dir);
  return pids;
}

bool ReadProcStat(pid_t pid, ProcStat* out) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  std::string text = ReadSmallFile(path);
  // "pid (comm) state ppid pgrp session ..."; comm may hold spaces and ')'.
  size_t close = text.rfind(')');
  if (close == std::string::npos) return false;
  char state = '?';
  int ppid = 0, pgrp = 0, session = 0;
  if (std::sscanf(text.c_str() + close + 1, " %c %d %d %d", &state, &ppid, &pgrp,
                  &session) != 4) {
    return false;
  }
  out->state = state;
  out->pgid = pgrp;
  out->sid = session;
  return true;
}

}  // namespace mlops::proctree
