#include "server/config.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "mlops/common/files.h"
#include "server/config_yaml.h"

namespace mlops::server {
namespace {

using config_yaml::Expect;
using config_yaml::KnownKeys;
using config_yaml::ReadDuration;
using config_yaml::ReadKey;
using config_yaml::ReadStrings;
using config_yaml::Where;

template <typename T>
Status ReadNumber(const std::string& file, const YAML::Node& n, const std::string& what, T* out) {
  return config_yaml::ReadScalar(file, n, what, out);
}

// One repository setting into *r.
Status ReadRepositorySetting(const std::string& file, const std::string& key, const YAML::Node& v,
                             RepoConfig* r) {
  if (key == "name") return ReadNumber(file, v, "a repository name", &r->name);
  if (key == "url") return ReadNumber(file, v, "a repository URL or path", &r->url);
  if (key == "pipeline") return ReadNumber(file, v, "a path in the repository", &r->pipeline_path);
  if (key == "webhook_secret") return ReadNumber(file, v, "a secret", &r->webhook_secret);
  if (key == "webhook_secret_file") {
    std::string secret_path, secret;
    MLOPS_RETURN_IF_ERROR(ReadNumber(file, v, "a file path", &secret_path));
    Status s = ReadFile(secret_path, &secret);
    if (!s.ok()) return Status::InvalidArgument(Where(file, v) + ": " + s.message());
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    r->webhook_secret = secret;
    return Status::OK();
  }
  if (key == "branches") return ReadStrings(file, v, &r->branches);
  if (key == "poll_interval") return ReadDuration(file, v, &r->poll_interval);
  if (key == "coalesce_window") return ReadDuration(file, v, &r->coalesce_window);
  if (key == "fetch_timeout") return ReadDuration(file, v, &r->fetch_timeout);
  return Status::InvalidArgument(file + ": repository setting '" + key + "' has no reader");
}

// Every problem of one repository entry goes to *errors.
void ReadRepository(const std::string& file, const YAML::Node& n, RepoConfig* r,
                    std::vector<std::string>* errors) {
  if (Status s = Expect(n.IsMap(), file, n, "a repository: a mapping with name and url"); !s.ok()) {
    errors->push_back(s.message());
    return;
  }
  static const std::vector<std::string_view> kKeys = {
      "name", "url", "branches", "poll_interval", "pipeline", "webhook_secret",
      "webhook_secret_file", "coalesce_window", "fetch_timeout"};
  std::set<std::string> seen;
  for (const auto& kv : n) {
    std::string key;
    Status s = ReadKey(file, kv.first, &key);
    if (s.ok() && std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
      s = Status::InvalidArgument(Where(file, kv.first) + ": unknown repository setting '" + key +
                                  "'" + KnownKeys(key, kKeys));
    } else if (s.ok() && !seen.insert(key).second) {
      s = Status::InvalidArgument(Where(file, kv.first) + ": duplicate repository setting '" + key + "'");
    } else if (s.ok()) {
      s = ReadRepositorySetting(file, key, kv.second, r);
    }
    if (!s.ok()) errors->push_back(s.message());
  }
  if (r->name.empty() || r->url.empty()) {
    errors->push_back(Where(file, n) + ": a repository needs a name and a url");
  }
}

void ReadRepositories(const std::string& file, const YAML::Node& n, std::vector<RepoConfig>* out,
                      std::vector<std::string>* errors) {
  if (Status s = Expect(n.IsSequence(), file, n, "a list of repositories"); !s.ok()) {
    errors->push_back(s.message());
    return;
  }
  out->clear();
  std::set<std::string> names;
  for (const auto& item : n) {
    RepoConfig r;
    const size_t before = errors->size();
    ReadRepository(file, item, &r, errors);
    if (errors->size() != before) continue;
    if (!names.insert(r.name).second) {
      errors->push_back(Where(file, item) + ": repository name '" + r.name + "' is used twice");
      continue;
    }
    out->push_back(std::move(r));
  }
}

Status ReadTls(const std::string& file, const YAML::Node& n, DaemonConfig* c) {
  MLOPS_RETURN_IF_ERROR(Expect(n.IsMap(), file, n, "a mapping with cert and key (PEM files)"));
  for (const auto& kv : n) {
    std::string key;
    MLOPS_RETURN_IF_ERROR(ReadKey(file, kv.first, &key));
    if (key == "cert") MLOPS_RETURN_IF_ERROR(ReadNumber(file, kv.second, "a PEM file", &c->tls_cert));
    else if (key == "key") MLOPS_RETURN_IF_ERROR(ReadNumber(file, kv.second, "a PEM file", &c->tls_key));
    else return Status::InvalidArgument(Where(file, kv.first) + ": unknown tls setting '" + key +
                                        "'" + KnownKeys(key, {"cert", "key"}));
  }
  return Status::OK();
}

Status ReadFolderLimits(const std::string& file, const YAML::Node& n, retention::FolderKind kind,
                        retention::FolderLimits* out) {
  const std::string folder = retention::FolderName(kind);
  MLOPS_RETURN_IF_ERROR(Expect(n.IsMap(), file, n,
                               "limits for " + folder + ": a mapping of keep, max_age, max_size"));
  *out = retention::FolderLimits();  // a class's mapping replaces its defaults
  for (const auto& kv : n) {
    std::string key;
    MLOPS_RETURN_IF_ERROR(ReadKey(file, kv.first, &key));
    const YAML::Node& v = kv.second;
    if (key == "keep" && kind == retention::FolderKind::kWorkspaces) {
      return Status::InvalidArgument(Where(file, kv.first) +
          ": workspaces take no keep: the scheduler keeps the workspaces of the newest 20 ended "
          "runs; limit them by max_age or max_size");
    }
    if (key == "keep") {
      int64_t keep = -1;
      MLOPS_RETURN_IF_ERROR(ReadNumber(file, v, "a count (0 or more)", &keep));
      MLOPS_RETURN_IF_ERROR(Expect(keep >= 0, file, v, "a count (0 or more)"));
      out->keep = static_cast<size_t>(keep);
    } else if (key == "max_age") {
      MLOPS_RETURN_IF_ERROR(ReadDuration(file, v, &out->max_age));
      MLOPS_RETURN_IF_ERROR(Expect(out->max_age.count() > 0, file, v, "a duration above 0"));
    } else if (key == "max_size") {
      std::string error;
      if (!v.IsScalar() || !retention::ParseByteSize(v.as<std::string>(), &out->max_bytes, &error) ||
          out->max_bytes <= 0) {
        return Status::InvalidArgument(Where(file, v) + ": " +
            (error.empty() ? "expected a size above 0 such as 500MB or 2GiB" : error));
      }
    } else {
      return Status::InvalidArgument(Where(file, kv.first) + ": unknown " + folder +
                                     " retention setting '" + key + "'; known: " +
                                     (kind == retention::FolderKind::kWorkspaces
                                          ? "max_age, max_size" : "keep, max_age, max_size"));
    }
  }
  return Status::OK();
}

Status ReadRetention(const std::string& file, const YAML::Node& n, retention::RetentionConfig* r) {
  MLOPS_RETURN_IF_ERROR(Expect(n.IsMap(), file, n,
                               "a mapping of interval, after_runs and folder limits (logs, "
                               "scratch, workspaces, checkouts, provenance)"));
  for (const auto& kv : n) {
    std::string key;
    MLOPS_RETURN_IF_ERROR(ReadKey(file, kv.first, &key));
    retention::FolderKind kind;
    if (key == "interval") {
      MLOPS_RETURN_IF_ERROR(ReadDuration(file, kv.second, &r->interval));
      MLOPS_RETURN_IF_ERROR(Expect(r->interval >= std::chrono::seconds(1) &&
                                       r->interval <= std::chrono::hours(24 * 365),
                                   file, kv.second, "an interval from 1s to 365d"));
    } else if (key == "after_runs") {
      MLOPS_RETURN_IF_ERROR(ReadNumber(file, kv.second, "true or false", &r->after_runs));
    } else if (retention::FolderKindFromName(key, &kind)) {
      MLOPS_RETURN_IF_ERROR(ReadFolderLimits(file, kv.second, kind, &(*r)[kind]));
    } else {
      return Status::InvalidArgument(Where(file, kv.first) + ": unknown retention setting '" + key +
                                     "'; known: interval, after_runs, logs, scratch, workspaces, "
                                     "checkouts, provenance");
    }
  }
  return Status::OK();
}

// The http_* settings against the ranges of docs/config.md.
Status CheckHttpSettings(const std::string& where, const DaemonConfig& c) {
  if (c.http_threads < 4 || c.http_threads > 4096) {
    return Status::InvalidArgument(where + ": http_threads must be from 4 to 4096, got " +
                                   std::to_string(c.http_threads));
  }
  if (c.http_connections_per_client < 1 || c.http_connections_per_client > c.http_threads) {
    return Status::InvalidArgument(where + ": http_connections_per_client must be from 1 to "
                                   "http_threads (" + std::to_string(c.http_threads) + "), got " +
                                   std::to_string(c.http_connections_per_client));
  }
  for (const auto& [name, value] : {std::pair{"http_request_timeout", c.http_request_timeout},
                                    std::pair{"http_keep_alive_timeout", c.http_keep_alive_timeout}}) {
    if (value < std::chrono::milliseconds(100) || value > std::chrono::minutes(10)) {
      return Status::InvalidArgument(where + ": " + name + " must be from 100ms to 10m, got " +
                                     std::to_string(value.count()) + "ms");
    }
  }
  return Status::OK();
}

// The daemon's top-level settings, in the order docs/config.md lists them.
const std::vector<std::string_view>& Settings() {
  static const std::vector<std::string_view> kSettings = {
      "state_dir", "listen", "pipelines", "plugin_dirs", "stage_host", "dashboard_dir", "cpus", "gpus",
      "memory_mb", "kill_grace", "stage_output_mb", "stop_timeout", "max_recoveries",
      "http_threads", "http_request_timeout", "http_keep_alive_timeout",
      "http_connections_per_client", "log_level", "public_metrics", "tls", "signing_key",
      "trusted_keys", "require_plugin_signatures", "deploy_hook", "repositories",
      "data_scan_interval", "retention", "serving"};
  return kSettings;
}

// One top-level setting into *c. Only `repositories` can have several
// problems; they go to *errors, everything else comes back as the status.
Status ReadSetting(const std::string& path, const std::string& key, const YAML::Node& v,
                   DaemonConfig* c, std::vector<std::string>* errors) {
  if (key == "state_dir") return ReadNumber(path, v, "a folder path", &c->state_dir);
  if (key == "listen") return ReadNumber(path, v, "HOST:PORT", &c->listen);
  if (key == "stage_host") return ReadNumber(path, v, "a file path", &c->stage_host);
  if (key == "dashboard_dir") return ReadNumber(path, v, "a folder path", &c->dashboard_dir);
  if (key == "log_level") return ReadNumber(path, v, "a log level", &c->log_level);
  if (key == "pipelines") return ReadStrings(path, v, &c->pipeline_dirs);
  if (key == "plugin_dirs") return ReadStrings(path, v, &c->plugin_dirs);
  if (key == "cpus") return ReadNumber(path, v, "a number of cpus", &c->cpus);
  if (key == "gpus") return ReadNumber(path, v, "a number of GPUs", &c->gpus);
  if (key == "memory_mb") return ReadNumber(path, v, "megabytes", &c->memory_mb);
  if (key == "max_recoveries") return ReadNumber(path, v, "an integer", &c->max_recoveries);
  if (key == "http_threads") return ReadNumber(path, v, "an integer", &c->http_threads);
  if (key == "http_connections_per_client") {
    return ReadNumber(path, v, "an integer", &c->http_connections_per_client);
  }
  if (key == "http_request_timeout") return ReadDuration(path, v, &c->http_request_timeout);
  if (key == "http_keep_alive_timeout") return ReadDuration(path, v, &c->http_keep_alive_timeout);
  if (key == "kill_grace") return ReadDuration(path, v, &c->kill_grace);
  if (key == "stage_output_mb") {
    MLOPS_RETURN_IF_ERROR(ReadNumber(path, v, "megabytes (MiB)", &c->stage_output_mb));
    return Expect(c->stage_output_mb >= 1 && c->stage_output_mb <= (int64_t{1} << 20), path, v,
                  "a number of MiB from 1 to 1048576");
  }
  if (key == "stop_timeout") return ReadDuration(path, v, &c->stop_timeout);
  if (key == "data_scan_interval") return ReadDuration(path, v, &c->data_scan_interval);
  if (key == "repositories") {
    ReadRepositories(path, v, &c->repositories, errors);
    return Status::OK();
  }
  if (key == "public_metrics") return ReadNumber(path, v, "true or false", &c->public_metrics);
  if (key == "tls") return ReadTls(path, v, c);
  if (key == "retention") return ReadRetention(path, v, &c->retention);
  if (key == "serving") return serving::ParseServingConfig(path, v, &c->serving.emplace());
  if (key == "signing_key") return ReadNumber(path, v, "a private key file", &c->signing_key);
  if (key == "trusted_keys") return ReadStrings(path, v, &c->trusted_keys);
  if (key == "require_plugin_signatures") {
    return ReadNumber(path, v, "true or false", &c->require_plugin_signatures);
  }
  if (key == "deploy_hook") {
    MLOPS_RETURN_IF_ERROR(ReadStrings(path, v, &c->deploy_hook));
    return Expect(!c->deploy_hook.empty() && !c->deploy_hook[0].empty(), path, v,
                  "a command as a list: [program, arg, ...]");
  }
  return Status::InvalidArgument(path + ": setting '" + key + "' has no reader");
}

}  // namespace

Status LoadConfigFile(const std::string& path, DaemonConfig* c) {
  YAML::Node root;
  MLOPS_RETURN_IF_ERROR(config_yaml::LoadYamlFile(path, &root));
  c->config_file = path;
  if (root.IsNull()) return Status::OK();
  MLOPS_RETURN_IF_ERROR(Expect(root.IsMap(), path, root, "a mapping of settings"));
  // Every problem is reported at once, each with its file:line:column.
  std::vector<std::string> errors;
  std::set<std::string> seen;
  const auto& known = Settings();
  for (const auto& kv : root) {
    std::string key;
    Status s = ReadKey(path, kv.first, &key);
    if (s.ok() && std::find(known.begin(), known.end(), key) == known.end()) {
      s = Status::InvalidArgument(Where(path, kv.first) + ": unknown setting '" + key + "'" +
                                  KnownKeys(key, known));
    } else if (s.ok() && !seen.insert(key).second) {
      s = Status::InvalidArgument(Where(path, kv.first) + ": duplicate setting '" + key + "'");
    } else if (s.ok()) {
      s = ReadSetting(path, key, kv.second, c, &errors);
    }
    if (!s.ok()) errors.push_back(s.message());
  }
  if (c->tls_cert.empty() != c->tls_key.empty()) {
    errors.push_back(path + ": tls needs both cert and key");
  }
  if (c->cpus < 0 || c->gpus < 0 || c->memory_mb < 0 || c->max_recoveries < 0) {
    errors.push_back(path + ": cpus, gpus, memory_mb and max_recoveries must not be negative");
  }
  if (Status s = CheckHttpSettings(path, *c); !s.ok()) errors.push_back(s.message());
  if (errors.empty()) return Status::OK();
  std::string all = errors[0];
  for (size_t i = 1; i < errors.size(); ++i) all += "\n" + errors[i];
  return Status::InvalidArgument(all);
}

void ApplyDefaults(DaemonConfig* c) {
  const std::string exe_dir = ExecutableDir();
  if (c->stage_host.empty()) {
    // Build tree: next to mlopsd; installed (CMakeLists.txt's install
    // rules): <prefix>/libexec/mlopsd/mlops-stage.
    c->stage_host = JoinPath(exe_dir, "mlops-stage");
    const std::string installed = JoinPath(exe_dir, "../libexec/mlopsd/mlops-stage");
    if (!PathExists(c->stage_host) && PathExists(installed)) c->stage_host = installed;
  }
  if (c->serve_binary.empty()) {
    // Build tree and install alike: next to mlopsd.
    c->serve_binary = JoinPath(exe_dir, "mlops-serve");
  }
  if (c->plugin_dirs.empty()) {
    // Build tree: <build>/bin/mlopsd and <build>/plugins; installed:
    // <prefix>/bin/mlopsd and <prefix>/lib/mlopsd/plugins.
    for (const char* rel : {"../plugins", "../lib/mlopsd/plugins"}) {
      std::string dir = JoinPath(exe_dir, rel);
      if (PathExists(dir)) {
        c->plugin_dirs.push_back(dir);
        break;
      }
    }
  }
  if (c->dashboard_dir.empty()) {
    // <build or prefix>/share/mlopsd/dashboard (dashboard/CMakeLists.txt).
    // When it does not exist, / answers 404 saying where it looked.
    c->dashboard_dir = JoinPath(exe_dir, "../share/mlopsd/dashboard");
  }
  if (c->cpus <= 0) {
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    c->cpus = n > 0 ? static_cast<double>(n) : 1;
  }
  // Relative folders are taken from the working directory at start: stage
  // hosts run elsewhere and only accept absolute paths.
  auto absolute = [](std::string* path) {
    if (!path->empty() && path->front() != '/') {
      *path = std::filesystem::absolute(*path).lexically_normal().string();
      if (path->size() > 1 && path->back() == '/') path->pop_back();
    }
  };
  absolute(&c->state_dir);
  absolute(&c->stage_host);
  absolute(&c->dashboard_dir);
  if (!c->config_file.empty()) absolute(&c->config_file);
  for (std::string& dir : c->pipeline_dirs) absolute(&dir);
  for (std::string& dir : c->plugin_dirs) absolute(&dir);
}

}  // namespace mlops::server
