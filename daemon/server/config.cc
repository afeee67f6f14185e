#include "server/config.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "mlops/common/files.h"
#include "mlops/common/nearest_name.h"
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

// Known keys as a "did you mean" hint and a list: "; did you mean 'x'?
// (known: a, b, c)".
std::string KnownKeys(const std::string& key, const std::vector<std::string_view>& known) {
  std::string text = DidYouMean(key, known) + " (known:";
  for (size_t i = 0; i < known.size(); ++i) text += (i == 0 ? " " : ", ") + std::string(known[i]);
  return text + ")";
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
  for (const auto& kv : n) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    Status s;
    if (key == "name") s = ReadNumber(file, v, "a repository name", &r->name);
    else if (key == "url") s = ReadNumber(file, v, "a repository URL or path", &r->url);
    else if (key == "pipeline") s = ReadNumber(file, v, "a path in the repository", &r->pipeline_path);
    else if (key == "webhook_secret") s = ReadNumber(file, v, "a secret", &r->webhook_secret);
    else if (key == "webhook_secret_file") {
      std::string secret_path, secret;
      s = ReadNumber(file, v, "a file path", &secret_path);
      if (s.ok()) {
        Status rs = ReadFile(secret_path, &secret);
        if (!rs.ok()) s = Status::InvalidArgument(Where(file, v) + ": " + rs.message());
      }
      while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
      if (s.ok()) r->webhook_secret = secret;
    }
    else if (key == "branches") s = ReadStrings(file, v, &r->branches);
    else if (key == "poll_interval") s = ReadDuration(file, v, &r->poll_interval);
    else if (key == "coalesce_window") s = ReadDuration(file, v, &r->coalesce_window);
    else if (key == "fetch_timeout") s = ReadDuration(file, v, &r->fetch_timeout);
    else s = Status::InvalidArgument(Where(file, kv.first) + ": unknown repository setting '" + key +
                                     "'" + KnownKeys(key, kKeys));
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
    const std::string key = kv.first.as<std::string>();
    if (key == "cert") MLOPS_RETURN_IF_ERROR(ReadNumber(file, kv.second, "a PEM file", &c->tls_cert));
    else if (key == "key") MLOPS_RETURN_IF_ERROR(ReadNumber(file, kv.second, "a PEM file", &c->tls_key));
    else return Status::InvalidArgument(Where(file, kv.first) + ": unknown tls setting '" + key +
                                        "'" + KnownKeys(key, {"cert", "key"}));
  }
  return Status::OK();
}

// The daemon's top-level settings, in the order docs/config.md lists them.
const std::vector<std::string_view>& Settings() {
  static const std::vector<std::string_view> kSettings = {
      "state_dir", "listen", "pipelines", "plugin_dirs", "stage_host", "cpus", "gpus",
      "memory_mb", "kill_grace", "stop_timeout", "max_recoveries", "http_threads", "log_level",
      "repositories", "data_scan_interval", "public_metrics", "tls", "signing_key",
      "trusted_keys", "require_plugin_signatures", "deploy_hook"};
  return kSettings;
}

// One top-level setting into *c. Only `repositories` can have several
// problems; they go to *errors, everything else comes back as the status.
Status ReadSetting(const std::string& path, const std::string& key, const YAML::Node& v,
                   DaemonConfig* c, std::vector<std::string>* errors) {
  if (key == "state_dir") return ReadNumber(path, v, "a folder path", &c->state_dir);
  if (key == "listen") return ReadNumber(path, v, "HOST:PORT", &c->listen);
  if (key == "stage_host") return ReadNumber(path, v, "a file path", &c->stage_host);
  if (key == "log_level") return ReadNumber(path, v, "a log level", &c->log_level);
  if (key == "pipelines") return ReadStrings(path, v, &c->pipeline_dirs);
  if (key == "plugin_dirs") return ReadStrings(path, v, &c->plugin_dirs);
  if (key == "cpus") return ReadNumber(path, v, "a number of cpus", &c->cpus);
  if (key == "gpus") return ReadNumber(path, v, "a number of GPUs", &c->gpus);
  if (key == "memory_mb") return ReadNumber(path, v, "megabytes", &c->memory_mb);
  if (key == "max_recoveries") return ReadNumber(path, v, "an integer", &c->max_recoveries);
  if (key == "http_threads") return ReadNumber(path, v, "an integer", &c->http_threads);
  if (key == "kill_grace") return ReadDuration(path, v, &c->kill_grace);
  if (key == "stop_timeout") return ReadDuration(path, v, &c->stop_timeout);
  if (key == "data_scan_interval") return ReadDuration(path, v, &c->data_scan_interval);
  if (key == "repositories") {
    ReadRepositories(path, v, &c->repositories, errors);
    return Status::OK();
  }
  if (key == "public_metrics") return ReadNumber(path, v, "true or false", &c->public_metrics);
  if (key == "tls") return ReadTls(path, v, c);
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
  // Every problem is reported at once, each with its file:line:column.
  std::vector<std::string> errors;
  std::set<std::string> seen;
  const auto& known = Settings();
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      errors.push_back(Where(path, kv.first) + ": unknown setting '" + key + "'" +
                       KnownKeys(key, known));
      continue;
    }
    if (!seen.insert(key).second) {
      errors.push_back(Where(path, kv.first) + ": duplicate setting '" + key + "'");
      continue;
    }
    Status s = ReadSetting(path, key, kv.second, c, &errors);
    if (!s.ok()) errors.push_back(s.message());
  }
  if (c->tls_cert.empty() != c->tls_key.empty()) {
    errors.push_back(path + ": tls needs both cert and key");
  }
  if (c->cpus < 0 || c->gpus < 0 || c->memory_mb < 0 || c->http_threads < 1 || c->max_recoveries < 0) {
    errors.push_back(path + ": cpus, gpus, memory_mb and max_recoveries must not be negative and "
                     "http_threads must be at least 1");
  }
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
