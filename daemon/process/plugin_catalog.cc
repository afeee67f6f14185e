#include "process/plugin_catalog.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

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

// "dev:ino:size:mtime_ns:ctime_ns" of a file, "" when it cannot be stat()ed;
// *changed_ns: the later of its mtime and ctime.
std::string IdentityString(const std::string& path, int64_t* changed_ns = nullptr) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return "";
  auto ns = [](const struct timespec& t) { return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec; };
  if (changed_ns) *changed_ns = std::max(ns(st.st_mtim), ns(st.st_ctim));
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
         std::to_string(st.st_size) + ":" + std::to_string(ns(st.st_mtim)) + ":" +
         std::to_string(ns(st.st_ctim));
}

// One plugin file to describe, and what became of it.
struct Candidate {
  std::string path;  // as found in the directory
  std::string real;  // symlinks resolved
  std::string identity;
  int64_t changed_ns = 0;
  Status status;
  PluginInfo info;
};

// The cache file: {"host": identity, "plugins": {real path: {"identity",
// "sha256", "name", "version", "abi_major", "abi_minor"}}}.
nlohmann::json ReadCache(const std::string& file, const std::string& host_identity) {
  std::string text;
  if (file.empty() || !ReadFile(file, &text).ok()) return nlohmann::json::object();
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || doc.value("host", "") != host_identity ||
      !doc.contains("plugins") || !doc["plugins"].is_object()) {
    return nlohmann::json::object();
  }
  return doc["plugins"];
}

bool FromCache(const nlohmann::json& plugins, Candidate* c) {
  auto it = plugins.find(c->real);
  if (it == plugins.end() || !it->is_object()) return false;
  try {
    if (it->at("identity").get<std::string>() != c->identity) return false;
    c->info.name = it->at("name").get<std::string>();
    c->info.version = it->at("version").get<std::string>();
    c->info.abi_major = it->at("abi_major").get<int>();
    c->info.abi_minor = it->at("abi_minor").get<int>();
    c->info.sha256 = it->at("sha256").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    return false;
  }
  c->info.path = c->real;
  return c->info.sha256.size() == 64 && !c->info.name.empty();
}

void WriteCache(const std::string& file, const std::string& host_identity,
                std::chrono::milliseconds racy_window, const std::vector<Candidate>& candidates) {
  nlohmann::json plugins = nlohmann::json::object();
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  const int64_t racy_before = int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec -
                              std::chrono::nanoseconds(racy_window).count();
  for (const Candidate& c : candidates) {
    if (!c.status.ok() || c.identity.empty() || c.changed_ns >= racy_before) continue;
    plugins[c.real] = {{"identity", c.identity}, {"sha256", c.info.sha256},
                       {"name", c.info.name}, {"version", c.info.version},
                       {"abi_major", c.info.abi_major}, {"abi_minor", c.info.abi_minor}};
  }
  nlohmann::json doc = {{"host", host_identity}, {"plugins", plugins}};
  (void)WriteFileAtomic(file, doc.dump(1), 0600);  // a cache: failing to write costs time only
}

}  // namespace

PluginCatalog PluginCatalog::Scan(const std::vector<std::string>& dirs,
                                  const std::string& stage_host_path,
                                  const PluginScanOptions& options) {
  const std::string& cache_file = options.cache_file;
  PluginCatalog catalog;
  std::vector<Candidate> candidates;
  for (const std::string& dir : dirs) {
    Status s = CheckNotWritableByOthers(dir, "plugin directory", /*want_dir=*/true);
    std::vector<std::string> names;
    if (s.ok()) names = ListSharedObjects(dir, &s);
    if (!s.ok()) {
      catalog.rejected_.push_back({dir, s.message()});
      continue;
    }
    for (const std::string& name : names) {
      Candidate c;
      c.path = JoinPath(dir, name);
      char real[PATH_MAX];
      if (::realpath(c.path.c_str(), real) == nullptr) {
        c.status = Status::FromErrno("cannot resolve " + c.path, errno);
      } else {
        c.real = real;
        c.status = CheckNotWritableByOthers(c.real, "plugin file", /*want_dir=*/false);
        if (c.status.ok() && c.path != c.real) {
          c.status = CheckNotWritableByOthers(DirName(c.real), "plugin directory", /*want_dir=*/true);
        }
        c.identity = IdentityString(c.real, &c.changed_ns);
      }
      candidates.push_back(std::move(c));
    }
  }

  const std::string host_identity = cache_file.empty() ? "" : IdentityString(stage_host_path);
  const nlohmann::json cached =
      host_identity.empty() ? nlohmann::json::object() : ReadCache(cache_file, host_identity);
  std::vector<Candidate*> to_describe;
  for (Candidate& c : candidates) {
    if (!c.status.ok()) continue;
    if (c.identity.empty() || !FromCache(cached, &c)) to_describe.push_back(&c);
  }
  // Describing is mostly waiting for a child process: a few at once.
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < to_describe.size();) {
      Candidate& c = *to_describe[i];
      c.status = Describe(stage_host_path, c.real, options.describe_timeout, &c.info);
    }
  };
  const size_t workers = std::min<size_t>(to_describe.size(), 8);
  std::vector<std::thread> threads;
  for (size_t i = 1; i < workers; ++i) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  catalog.described_ = static_cast<int>(to_describe.size());
  if (!host_identity.empty() && (!to_describe.empty() || cached.size() != candidates.size())) {
    WriteCache(cache_file, host_identity, options.racy_window, candidates);
  }

  std::vector<PluginInfo> found;
  for (Candidate& c : candidates) {
    if (!c.status.ok()) {
      catalog.rejected_.push_back({c.path, c.status.message()});
    } else {
      found.push_back(std::move(c.info));
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
