#include "process/attempt_cgroups.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "mlops/common/files.h"

namespace mlops {
namespace {

constexpr char kDaemonLeaf[] = "mlopsd";
constexpr char kAttemptPrefix[] = "attempt-";

// Writes `text` to the control file `path` in one write, as the kernel wants.
Status WriteControl(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("cannot open " + path, errno);
  ssize_t n = ::write(fd, text.data(), text.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    return Status::FromErrno("cannot write '" + text + "' to " + path, n < 0 ? err : EIO);
  }
  return Status::OK();
}

bool HasWord(const std::string& text, const std::string& word) {
  std::istringstream in(text);
  std::string w;
  while (in >> w) {
    if (w == word) return true;
  }
  return false;
}

}  // namespace

Status AttemptCgroups::Setup(const std::string& cgroup_fs, const std::string& self_cgroup_file,
                             int pid) {
  std::string text;
  MLOPS_RETURN_IF_ERROR(ReadFile(self_cgroup_file, &text));
  std::string own;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("0::", 0) == 0) own = line.substr(3);
  }
  if (own.empty()) {
    return Status::NotFound("the daemon is on no cgroup v2 hierarchy (" + self_cgroup_file +
                            " has no 0:: line)");
  }
  const std::string base = own == "/" ? cgroup_fs : cgroup_fs + own;
  std::string controllers;
  if (!ReadFile(JoinPath(base, "cgroup.controllers"), &controllers).ok()) {
    return Status::NotFound("no cgroup v2 hierarchy at " + cgroup_fs + " (no " +
                            JoinPath(base, "cgroup.controllers") + ")");
  }
  if (!HasWord(controllers, "memory")) {
    return Status::Unavailable("the memory controller is not available in " + base +
                                      " (not delegated to the daemon)");
  }
  if (::access(JoinPath(base, "cgroup.procs").c_str(), W_OK) != 0 ||
      ::access(base.c_str(), W_OK) != 0) {
    return Status::PermissionDenied("the daemon's cgroup " + base +
                                    " is not writable (not delegated to it)");
  }
  std::string procs;
  MLOPS_RETURN_IF_ERROR(ReadFile(JoinPath(base, "cgroup.procs"), &procs));
  const std::string self = std::to_string(pid != 0 ? pid : ::getpid());
  std::istringstream members(procs);
  for (std::string p; members >> p;) {
    if (p != self) {
      return Status::Unavailable("the daemon's cgroup " + base +
                                        " holds other processes too (" + p + ")");
    }
  }
  const std::string leaf = JoinPath(base, kDaemonLeaf);
  if (::mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::FromErrno("cannot make " + leaf, errno);
  }
  MLOPS_RETURN_IF_ERROR(WriteControl(JoinPath(leaf, "cgroup.procs"), self));
  MLOPS_RETURN_IF_ERROR(WriteControl(JoinPath(base, "cgroup.subtree_control"), "+memory"));
  if (DIR* d = ::opendir(base.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (std::strncmp(e->d_name, kAttemptPrefix, sizeof kAttemptPrefix - 1) == 0) {
        Remove(JoinPath(base, e->d_name));
      }
    }
    ::closedir(d);
  }
  base_ = base;
  return Status::OK();
}

Status AttemptCgroups::Create(int64_t attempt_id, int64_t memory_bytes, std::string* path) const {
  if (base_.empty()) return Status::Unavailable("cgroups are not set up");
  const std::string leaf = JoinPath(base_, kAttemptPrefix + std::to_string(attempt_id));
  if (::mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::FromErrno("cannot make the attempt's cgroup " + leaf, errno);
  }
  Status s = WriteControl(JoinPath(leaf, "memory.max"), std::to_string(memory_bytes));
  if (!s.ok()) {
    Remove(leaf);
    return s;
  }
  // Without swap the limit is the memory the attempt may use; a kernel
  // without swap accounting has no such file.
  (void)WriteControl(JoinPath(leaf, "memory.swap.max"), "0");
  (void)WriteControl(JoinPath(leaf, "memory.oom.group"), "1");
  *path = leaf;
  return Status::OK();
}

bool AttemptCgroups::OomKilled(const std::string& path) {
  std::string text;
  if (!ReadFile(JoinPath(path, "memory.events"), &text).ok()) return false;
  std::istringstream in(text);
  std::string key;
  int64_t value = 0;
  while (in >> key >> value) {
    if ((key == "oom_kill" || key == "oom_group_kill") && value > 0) return true;
  }
  return false;
}

bool AttemptCgroups::Remove(const std::string& path) {
  if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return true;
  // A fake tree (tests) has plain files in it.
  return errno == ENOTEMPTY && RemoveTree(path).ok();
}

}  // namespace mlops
