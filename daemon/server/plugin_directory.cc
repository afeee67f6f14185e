#include "server/plugin_directory.h"

#include <dirent.h>
#include <limits.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "mlops/common/files.h"
#include "mlops/signing/signing.h"
#include "process/stage_host_env.h"
#include "process/stage_orphans.h"

namespace mlops::server {

namespace {

std::string Octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// One path: a directory (want_dir) or a regular file, owned by root or the
// daemon's user, not writable by group or others.
Status CheckPlace(const std::string& path, bool want_dir) {
  const char* what = want_dir ? "plugin directory" : "plugin file";
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return Status::FromErrno(std::string("cannot use ") + what + " " + path, errno);
  }
  if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
    return Status::PermissionDenied(std::string(what) + " " + path + " is not a " +
                                    (want_dir ? "directory" : "regular file"));
  }
  const uid_t euid = ::geteuid();
  bool owner_ok = st.st_uid == 0 || st.st_uid == euid;
  bool mode_ok = (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
  if (owner_ok && mode_ok) return Status::OK();
  return Status::PermissionDenied(
      std::string(what) + " " + path + " is not a trusted place: owner uid " +
      std::to_string(st.st_uid) + ", mode " + Octal(st.st_mode) + "; required: owned by root " +
      "or the daemon's user (uid " + std::to_string(euid) + ") and not writable by group or " +
      "others (e.g. chmod go-w " + path + ")");
}

}  // namespace

Status CheckTrustedPluginPlaces(const std::vector<std::string>& dirs) {
  for (const std::string& dir : dirs) {
    MLOPS_RETURN_IF_ERROR(CheckPlace(dir, /*want_dir=*/true));
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return Status::FromErrno("cannot list plugin directory " + dir, errno);
    std::vector<std::string> files;
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name.size() > 3 && name.compare(name.size() - 3, 3, ".so") == 0) files.push_back(name);
    }
    ::closedir(d);
    std::sort(files.begin(), files.end());
    for (const std::string& name : files) {
      std::string path = JoinPath(dir, name);
      MLOPS_RETURN_IF_ERROR(CheckPlace(path, /*want_dir=*/false));
      char real[PATH_MAX];
      if (::realpath(path.c_str(), real) == nullptr) {
        return Status::FromErrno("cannot resolve plugin file " + path, errno);
      }
      if (path != real) MLOPS_RETURN_IF_ERROR(CheckPlace(DirName(real), /*want_dir=*/true));
    }
  }
  return Status::OK();
}

Status PluginDirectory::Scan() {
  MLOPS_RETURN_IF_ERROR(CheckTrustedPluginPlaces(dirs_));
  if (require_signatures_) {
    if (trusted_key_files_.empty()) {
      return Status::InvalidArgument(
          "require_plugin_signatures is set but trusted_keys names no public key file");
    }
    std::string joined;
    for (const std::string& file : trusted_key_files_) {
      signing::PublicKey key;
      Status ks = signing::ReadPublicKeyFile(file, &key);
      if (!ks.ok()) return Status::InvalidArgument("trusted_keys: " + ks.message());
      char real[PATH_MAX];
      // Absolute: the stage host may run in another directory.
      if (::realpath(file.c_str(), real) == nullptr) {
        return Status::FromErrno("trusted_keys: cannot resolve " + file, errno);
      }
      if (std::strchr(real, ':') != nullptr) {
        return Status::InvalidArgument("trusted_keys: path " + std::string(real) +
                                       " contains ':'");
      }
      joined += (joined.empty() ? "" : ":") + std::string(real);
      spdlog::info("plugin signatures required; trusted key {} ({})", key.key_id, real);
    }
    // In the environment of every stage host the daemon starts (describe,
    // fork servers, attempts).
    SetStageHostEnv(signing::kPluginKeysEnv, joined);
  } else {
    SetStageHostEnv(signing::kPluginKeysEnv, "");  // never inherited by accident
  }
  if (::access(stage_host_.c_str(), X_OK) != 0) {
    return Status::NotFound("stage host " + stage_host_ +
                            " is missing or not executable (set --stage-host)");
  }
  PluginScanOptions scan;
  if (!require_signatures_) scan.cache_file = description_cache_;
  catalog_ = PluginCatalog::Scan(dirs_, stage_host_, scan);
  for (const auto& r : catalog_.rejected()) spdlog::warn("plugin refused: {}", r.error);
  for (const auto& [name, p] : catalog_.plugins()) {
    spdlog::info("plugin {} {} ({})", name, p.version, p.path);
  }
  return Status::OK();
}

void PluginDirectory::SetRevokedKeys(const std::vector<std::string>& key_ids) {
  std::string joined;
  for (const std::string& id : key_ids) joined += (joined.empty() ? "" : ":") + id;
  SetStageHostEnv(signing::kPluginRevokedKeysEnv, joined);
  if (runner_) runner_->RetireServers();
}

void PluginDirectory::MakeRunner(StageRunner::OnFinished on_finished,
                                 const std::string& spare_log_dir,
                                 uint64_t output_cap_bytes,
                                 const AttemptCgroups* cgroups) {
  ProcessStageRunnerOptions opts;
  opts.cgroups = cgroups;
  opts.output_cap_bytes = output_cap_bytes;
  opts.stage_host_path = stage_host_;
  opts.spare_log_dir = spare_log_dir;
  runner_ = std::make_unique<ProcessStageRunner>(opts, std::move(on_finished));
}

Status PluginDirectory::Resolve(const std::string& name, scheduler::PluginRef* out) {
  PluginInfo info;
  MLOPS_RETURN_IF_ERROR(catalog_.Find(name, &info));
  *out = {info.name, info.version, info.sha256, info.path};
  return Status::OK();
}

std::vector<std::string> PluginDirectory::Names() {
  std::vector<std::string> names;
  for (const auto& [name, p] : catalog_.plugins()) names.push_back(name);
  return names;
}

nlohmann::json PluginDirectory::ToJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [name, p] : catalog_.plugins()) {
    out.push_back({{"name", name}, {"version", p.version}, {"sha256", p.sha256}, {"path", p.path},
                   {"abi", std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor)}});
  }
  for (const auto& r : catalog_.rejected()) {
    out.push_back({{"name", ""}, {"path", r.path}, {"error", r.error}});
  }
  return out;
}

}  // namespace mlops::server
