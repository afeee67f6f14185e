#include "server/config.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>

#include "mlops/common/files.h"
#include "pipeline/pipeline_parser.h"

namespace mlops::server {
namespace {

std::string Where(const std::string& file, const YAML::Node& n) {
  return file + ":" + std::to_string(n.Mark().line + 1) + ":" + std::to_string(n.Mark().column + 1);
}

Status Expect(bool ok, const std::string& file, const YAML::Node& n, const std::string& what) {
  if (ok) return Status::OK();
  return Status::InvalidArgument(Where(file, n) + ": expected " + what);
}

Status ReadStrings(const std::string& file, const YAML::Node& n, std::vector<std::string>* out) {
  if (n.IsScalar()) {
    out->assign(1, n.as<std::string>());
    return Status::OK();
  }
  MLOPS_RETURN_IF_ERROR(Expect(n.IsSequence(), file, n, "a folder or a list of folders"));
  out->clear();
  for (const auto& item : n) {
    MLOPS_RETURN_IF_ERROR(Expect(item.IsScalar(), file, item, "a folder path"));
    out->push_back(item.as<std::string>());
  }
  return Status::OK();
}

// A mapping key as text; a sequence or mapping used as a key is refused
// (yaml-cpp would throw converting it).
Status ReadKey(const std::string& file, const YAML::Node& key, std::string* out) {
  MLOPS_RETURN_IF_ERROR(Expect(key.IsScalar(), file, key, "a setting name"));
  *out = key.as<std::string>();
  return Status::OK();
}

template <typename T>
Status ReadNumber(const std::string& file, const YAML::Node& n, const std::string& what, T* out) {
  try {
    if (!n.IsScalar()) throw YAML::Exception(n.Mark(), "not a scalar");
    *out = n.as<T>();
    return Status::OK();
  } catch (const YAML::Exception&) {
    return Status::InvalidArgument(Where(file, n) + ": expected " + what);
  }
}

Status ReadDuration(const std::string& file, const YAML::Node& n, std::chrono::milliseconds* out) {
  if (!n.IsScalar() || !pipeline::ParseDuration(n.as<std::string>(), out)) {
    return Status::InvalidArgument(Where(file, n) +
                                   ": expected a duration such as 500ms, 30s, 5m or 1h");
  }
  return Status::OK();
}

Status ReadRepository(const std::string& file, const YAML::Node& n, RepoConfig* r) {
  MLOPS_RETURN_IF_ERROR(Expect(n.IsMap(), file, n, "a repository: a mapping with name and url"));
  static const std::set<std::string> kKeys = {"name", "url", "branches", "poll_interval",
                                              "pipeline", "webhook_secret", "webhook_secret_file",
                                              "coalesce_window", "fetch_timeout"};
  for (const auto& kv : n) {
    std::string key;
    MLOPS_RETURN_IF_ERROR(ReadKey(file, kv.first, &key));
    const YAML::Node& v = kv.second;
    if (!kKeys.count(key)) {
      return Status::InvalidArgument(Where(file, kv.first) + ": unknown repository setting '" + key +
          "'; known: name, url, branches, poll_interval, pipeline, webhook_secret, "
          "webhook_secret_file, coalesce_window, fetch_timeout");
    }
    if (key == "name") MLOPS_RETURN_IF_ERROR(ReadNumber(file, v, "a repository name", &r->name));
    else if (key == "url") MLOPS_RETURN_IF_ERROR(ReadNumber(file, v, "a repository URL or path", &r->url));
    else if (key == "pipeline") MLOPS_RETURN_IF_ERROR(ReadNumber(file, v, "a path in the repository", &r->pipeline_path));
    else if (key == "webhook_secret") MLOPS_RETURN_IF_ERROR(ReadNumber(file, v, "a secret", &r->webhook_secret));
    else if (key == "webhook_secret_file") {
      std::string secret_path, secret;
      MLOPS_RETURN_IF_ERROR(ReadNumber(file, v, "a file path", &secret_path));
      Status s = ReadFile(secret_path, &secret);
      if (!s.ok()) return Status::InvalidArgument(Where(file, v) + ": " + s.message());
      while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
      r->webhook_secret = secret;
    }
    else if (key == "branches") MLOPS_RETURN_IF_ERROR(ReadStrings(file, v, &r->branches));
    else if (key == "poll_interval") MLOPS_RETURN_IF_ERROR(ReadDuration(file, v, &r->poll_interval));
    else if (key == "coalesce_window") MLOPS_RETURN_IF_ERROR(ReadDuration(file, v, &r->coalesce_window));
    else if (key == "fetch_timeout") MLOPS_RETURN_IF_ERROR(ReadDuration(file, v, &r->fetch_timeout));
  }
  if (r->name.empty() || r->url.empty()) {
    return Status::InvalidArgument(Where(file, n) + ": a repository needs a name and a url");
  }
  return Status::OK();
}

Status ReadRepositories(const std::string& file, const YAML::Node& n, std::vector<RepoConfig>* out) {
  MLOPS_RETURN_IF_ERROR(Expect(n.IsSequence(), file, n, "a list of repositories"));
  out->clear();
  std::set<std::string> names;
  for (const auto& item : n) {
    RepoConfig r;
    MLOPS_RETURN_IF_ERROR(ReadRepository(file, item, &r));
    if (!names.insert(r.name).second) {
      return Status::InvalidArgument(Where(file, item) + ": repository name '" + r.name +
                                     "' is used twice");
    }
    out->push_back(std::move(r));
  }
  return Status::OK();
}

Status ReadTls(const std::string& file, const YAML::Node& n, DaemonConfig* c) {
  MLOPS_RETURN_IF_ERROR(Expect(n.IsMap(), file, n, "a mapping with cert and key (PEM files)"));
  for (const auto& kv : n) {
    std::string key;
    MLOPS_RETURN_IF_ERROR(ReadKey(file, kv.first, &key));
    if (key == "cert") MLOPS_RETURN_IF_ERROR(ReadNumber(file, kv.second, "a PEM file", &c->tls_cert));
    else if (key == "key") MLOPS_RETURN_IF_ERROR(ReadNumber(file, kv.second, "a PEM file", &c->tls_key));
    else return Status::InvalidArgument(Where(file, kv.first) + ": unknown tls setting '" + key +
                                        "'; known: cert, key");
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
    const std::string key = kv.first.as<std::string>();
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
    const std::string key = kv.first.as<std::string>();
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

}  // namespace

Status LoadConfigFile(const std::string& path, DaemonConfig* c) {
  std::string text;
  MLOPS_RETURN_IF_ERROR(ReadFile(path, &text));
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return Status::InvalidArgument(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                   std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (root.IsNull()) return Status::OK();
  MLOPS_RETURN_IF_ERROR(Expect(root.IsMap(), path, root, "a mapping of settings"));
  static const std::set<std::string> kKeys = {
      "state_dir", "listen", "pipelines", "plugin_dirs", "stage_host", "cpus", "gpus",
      "memory_mb", "kill_grace", "stage_output_mb", "stop_timeout", "max_recoveries", "http_threads", "log_level",
      "http_request_timeout", "http_keep_alive_timeout", "http_connections_per_client",
      "repositories", "data_scan_interval", "public_metrics", "tls", "signing_key",
      "trusted_keys", "require_plugin_signatures", "deploy_hook", "retention"};
  std::set<std::string> seen;
  for (const auto& kv : root) {
    std::string key;
    MLOPS_RETURN_IF_ERROR(ReadKey(path, kv.first, &key));
    const YAML::Node& v = kv.second;
    if (!kKeys.count(key)) {
      return Status::InvalidArgument(Where(path, kv.first) + ": unknown setting '" + key +
          "'; known: state_dir, listen, pipelines, plugin_dirs, stage_host, cpus, gpus, "
          "memory_mb, kill_grace, stage_output_mb, stop_timeout, max_recoveries, http_threads, log_level, "
          "http_request_timeout, http_keep_alive_timeout, http_connections_per_client, "
          "repositories, data_scan_interval, public_metrics, tls, signing_key, trusted_keys, "
          "require_plugin_signatures, deploy_hook, retention");
    }
    if (!seen.insert(key).second) {
      return Status::InvalidArgument(Where(path, kv.first) + ": duplicate setting '" + key + "'");
    }
    if (key == "state_dir") MLOPS_RETURN_IF_ERROR(ReadNumber(path, v, "a folder path", &c->state_dir));
    else if (key == "listen") MLOPS_RETURN_IF_ERROR(ReadNumber(path, v, "HOST:PORT", &c->listen));
    else if (key == "stage_host") MLOPS_RETURN_IF_ERROR(ReadNumber(path, v, "a file path", &c->stage_host));
    else if (key == "log_level") MLOPS_RETURN_IF_ERROR(ReadNumber(path, v, "a log level", &c->log_level));
    else if (key == "pipelines") MLOPS_RETURN_IF_ERROR(ReadStrings(path, v, &c->pipeline_dirs));
    else if (key == "plugin_dirs") MLOPS_RETURN_IF_ERROR(ReadStrings(path, v, &c->plugin_dirs));
    else if (key == "cpus") MLOPS_RETURN_IF_ERROR(ReadNumber(path, v, "a number of cpus", &c->cpus));
    else if (key == "gpus") MLOPS_RETURN_IF_ERROR(ReadNumber(path, v, "a number of GPUs", &c->gpus));
    else if (key == "memory_mb") MLOPS_RETURN_IF_ERROR(ReadNumber(path, v, "megabytes", &c->memory_mb));
    else if (key == "max_recoveries") MLOPS_RETURN_IF_ERROR(ReadNumber(path, v, "an integer", &c->max_recoveries));
    else if (key == "http_threads") MLOPS_RETURN_IF_ERROR(ReadNumber(path, v, "an integer", &c->http_threads));
    else if (key == "http_connections_per_client") MLOPS_RETURN_IF_ERROR(ReadNumber(path, v, "an integer", &c->http_connections_per_client));
    else if (key == "http_request_timeout") MLOPS_RETURN_IF_ERROR(ReadDuration(path, v, &c->http_request_timeout));
    else if (key == "http_keep_alive_timeout") MLOPS_RETURN_IF_ERROR(ReadDuration(path, v, &c->http_keep_alive_timeout));
    else if (key == "kill_grace") MLOPS_RETURN_IF_ERROR(ReadDuration(path, v, &c->kill_grace));
    else if (key == "stage_output_mb") {
      MLOPS_RETURN_IF_ERROR(ReadNumber(path, v, "megabytes (MiB)", &c->stage_output_mb));
      MLOPS_RETURN_IF_ERROR(Expect(c->stage_output_mb >= 1 && c->stage_output_mb <= (int64_t{1} << 20),
                                   path, v, "a number of MiB from 1 to 1048576"));
    }
    else if (key == "stop_timeout") MLOPS_RETURN_IF_ERROR(ReadDuration(path, v, &c->stop_timeout));
    else if (key == "data_scan_interval") MLOPS_RETURN_IF_ERROR(ReadDuration(path, v, &c->data_scan_interval));
    else if (key == "repositories") MLOPS_RETURN_IF_ERROR(ReadRepositories(path, v, &c->repositories));
    else if (key == "public_metrics") MLOPS_RETURN_IF_ERROR(ReadNumber(path, v, "true or false", &c->public_metrics));
    else if (key == "tls") MLOPS_RETURN_IF_ERROR(ReadTls(path, v, c));
    else if (key == "retention") MLOPS_RETURN_IF_ERROR(ReadRetention(path, v, &c->retention));
    else if (key == "signing_key") MLOPS_RETURN_IF_ERROR(ReadNumber(path, v, "a private key file", &c->signing_key));
    else if (key == "trusted_keys") MLOPS_RETURN_IF_ERROR(ReadStrings(path, v, &c->trusted_keys));
    else if (key == "require_plugin_signatures") MLOPS_RETURN_IF_ERROR(ReadNumber(path, v, "true or false", &c->require_plugin_signatures));
    else if (key == "deploy_hook") {
      MLOPS_RETURN_IF_ERROR(ReadStrings(path, v, &c->deploy_hook));
      MLOPS_RETURN_IF_ERROR(Expect(!c->deploy_hook.empty() && !c->deploy_hook[0].empty(), path, v,
                                   "a command as a list: [program, arg, ...]"));
    }
  }
  if (c->tls_cert.empty() != c->tls_key.empty()) {
    return Status::InvalidArgument(path + ": tls needs both cert and key");
  }
  if (c->cpus < 0 || c->gpus < 0 || c->memory_mb < 0 || c->max_recoveries < 0) {
    return Status::InvalidArgument(path + ": cpus, gpus, memory_mb and max_recoveries must not be "
                                   "negative");
  }
  return CheckHttpSettings(path, *c);
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
  for (std::string& dir : c->pipeline_dirs) absolute(&dir);
  for (std::string& dir : c->plugin_dirs) absolute(&dir);
}

}  // namespace mlops::server
