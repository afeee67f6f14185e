#include "process/plugin_catalog.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "process/captured_command.h"
#include "process/stage_host_env.h"
#include "stage_protocol.h"

namespace mlops {
namespace {

std::string OctalMode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Refuses what others could replace under the daemon's feet.
Status CheckNotWritableByOthers(const std::string& path, const char* what, bool want_dir) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::FromErrno(std::string("cannot stat ") + what + " " + path, errno);
  if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(std::string(what) + " " + path + " is not a " +
                                   (want_dir ? "directory" : "regular file"));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Status::PermissionDenied(std::string(what) + " " + path +
                                    " is writable by group or others (mode " +
                                    OctalMode(st.st_mode) + "); refusing it");
  }
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    return Status::PermissionDenied(std::string(what) + " " + path + " is owned by uid " +
                                    std::to_string(st.st_uid) +
                                    ", neither root nor the daemon's user; refusing it");
  }
  return Status::OK();
}

std::vector<std::string> ListSharedObjects(const std::string& dir, Status* status) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    *status = Status::FromErrno("cannot list plugin directory " + dir, errno);
    return names;
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 3 && name.compare(name.size() - 3, 3, ".so") == 0) names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::string DescribeError(const CapturedRun& run) {
  std::string msg = run.err;
  const std::string prefix = "mlops-stage: ";
  if (msg.rfind(prefix, 0) == 0) msg.erase(0, prefix.size());
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  if (run.timed_out) return "describing it took too long";
  if (!msg.empty()) return msg;
  if (run.signal != 0) return "the stage host died with signal " + std::to_string(run.signal);
  return "the stage host exited with code " + std::to_string(run.exit_code);
}

Status Describe(const std::string& host, const std::string& path,
                std::chrono::milliseconds timeout, PluginInfo* info) {
  CapturedRun run;
  StageHostEnvironment env;
  MLOPS_RETURN_IF_ERROR(
      RunCaptured({host, stage_protocol::kDescribeFlag, path}, timeout, &run, env.envp()));
  if (run.exit_code != 0) return Status::InvalidArgument(DescribeError(run));
  nlohmann::json doc = nlohmann::json::parse(run.out, nullptr, /*allow_exceptions=*/false);
  try {
    info->name = doc.at("name").get<std::string>();
    info->version = doc.at("version").get<std::string>();
    info->abi_major = doc.at("abi_major").get<int>();
    info->abi_minor = doc.at("abi_minor").get<int>();
  } catch (const nlohmann::json::exception&) {
    return Status::Corruption("plugin " + path + ": the stage host's description is not valid: " +
                              run.out.substr(0, 200));
  }
  info->path = path;
  uint64_t size = 0;
  return Sha256File(path, &info->sha256, &size);
}

}  // namespace

PluginCatalog PluginCatalog::Scan(const std::vector<std::string>& dirs,
                                  const std::string& stage_host_path,
                                  std::chrono::milliseconds describe_timeout) {
  PluginCatalog catalog;
  std::vector<PluginInfo> found;
  for (const std::string& dir : dirs) {
    Status s = CheckNotWritableByOthers(dir, "plugin directory", /*want_dir=*/true);
    std::vector<std::string> names;
    if (s.ok()) names = ListSharedObjects(dir, &s);
    if (!s.ok()) {
      catalog.rejected_.push_back({dir, s.message()});
      continue;
    }
    for (const std::string& name : names) {
      std::string path = JoinPath(dir, name);
      char real[PATH_MAX];
      if (::realpath(path.c_str(), real) == nullptr) {
        catalog.rejected_.push_back({path, Status::FromErrno("cannot resolve " + path, errno).message()});
        continue;
      }
      PluginInfo info;
      s = CheckNotWritableByOthers(real, "plugin file", /*want_dir=*/false);
      if (s.ok() && path != real) {
        s = CheckNotWritableByOthers(DirName(real), "plugin directory", /*want_dir=*/true);
      }
      if (s.ok()) s = Describe(stage_host_path, real, describe_timeout, &info);
      if (!s.ok()) {
        catalog.rejected_.push_back({path, s.message()});
        continue;
      }
      found.push_back(std::move(info));
    }
  }
  for (const PluginInfo& info : found) {
    std::string others;
    for (const PluginInfo& other : found) {
      if (&other != &info && other.name == info.name) others += (others.empty() ? "" : ", ") + other.path;
    }
    if (others.empty()) {
      catalog.plugins_[info.name] = info;
    } else {
      catalog.rejected_.push_back(
          {info.path, "duplicate plugin name '" + info.name + "' in " + info.path +
                          " (also in " + others + "); none of them is used"});
    }
  }
  return catalog;
}

Status PluginCatalog::Find(const std::string& name, PluginInfo* out) const {
  auto it = plugins_.find(name);
  if (it != plugins_.end()) {
    *out = it->second;
    return Status::OK();
  }
  std::string known;
  for (const auto& [n, info] : plugins_) known += (known.empty() ? "" : ", ") + n;
  std::string message = "unknown plugin '" + name + "' (known: " +
                        (known.empty() ? std::string("none") : known) + ")";
  for (const RejectedPlugin& r : rejected_) {
    std::string base = r.path.substr(r.path.rfind('/') + 1);
    if (base == name + ".so" || r.error.find("'" + name + "'") != std::string::npos) {
      message += "; " + r.error;
    }
  }
  return Status::NotFound(message);
}

}  // namespace mlops
