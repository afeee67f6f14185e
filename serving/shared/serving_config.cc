#include "serving/shared/serving_config.h"

#include <arpa/inet.h>


#include "server/config_yaml.h"

namespace mlops::serving {
namespace {

using config_yaml::CheckKey;
using config_yaml::Expect;
using config_yaml::ReadDuration;
using config_yaml::ReadScalar;
using config_yaml::Where;

template <typename T>
Status ReadRange(const std::string& file, const YAML::Node& n, T min, T max, T* out) {
  const std::string what = "a number from " + std::to_string(min) + " to " + std::to_string(max);
  T v{};
  MLOPS_RETURN_IF_ERROR(ReadScalar(file, n, what, &v));
  MLOPS_RETURN_IF_ERROR(Expect(v >= min && v <= max, file, n, what));
  *out = v;
  return Status::OK();
}

Status ReadDurationRange(const std::string& file, const YAML::Node& n,
                         std::chrono::milliseconds min, std::chrono::milliseconds max,
                         const std::string& range, std::chrono::milliseconds* out) {
  std::chrono::milliseconds v{};
  MLOPS_RETURN_IF_ERROR(ReadDuration(file, n, &v));
  MLOPS_RETURN_IF_ERROR(Expect(v >= min && v <= max, file, n, "a duration from " + range));
  *out = v;
  return Status::OK();
}

bool ValidListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) return false;
  const std::string port = listen.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
  return std::stoi(port) <= 65535;
}

Status ReadRoles(const std::string& file, const YAML::Node& n, std::vector<std::string>* out) {
  static const std::vector<std::string_view> kRoles = {"predictor", "viewer", "operator", "admin"};
  MLOPS_RETURN_IF_ERROR(Expect(n.IsSequence() && n.size() > 0, file, n,
                               "a list of roles (predictor, viewer, operator, admin)"));
  out->clear();
  std::vector<std::string> seen;
  for (const auto& item : n) {
    std::string role;
    MLOPS_RETURN_IF_ERROR(CheckKey(file, item, kRoles, "role", &seen, &role));
    out->push_back(role);
  }
  return Status::OK();
}

// Each key is checked by the prediction log's own rules
// (CheckPredictionLogOptions), reported at the key's value.
Status ReadPredictionLog(const std::string& file, const YAML::Node& n, PredictionLogOptions* p) {
  if (n.IsNull()) return Status::OK();
  MLOPS_RETURN_IF_ERROR(Expect(n.IsMap(), file, n,
      "a mapping of enabled, sample_rate, max_rows_per_second, max_size_mb, max_age"));
  static const std::vector<std::string_view> kKeys = {
      "enabled", "sample_rate", "max_rows_per_second", "max_size_mb", "max_age"};
  std::vector<std::string> seen;
  for (const auto& kv : n) {
    std::string key;
    MLOPS_RETURN_IF_ERROR(CheckKey(file, kv.first, kKeys, "prediction_log setting", &seen, &key));
    const YAML::Node& v = kv.second;
    if (key == "enabled") {
      MLOPS_RETURN_IF_ERROR(ReadScalar(file, v, "true or false", &p->enabled));
    } else if (key == "sample_rate") {
      MLOPS_RETURN_IF_ERROR(ReadScalar(file, v, "a number from 0 to 1", &p->sample_rate));
    } else if (key == "max_rows_per_second") {
      MLOPS_RETURN_IF_ERROR(ReadScalar(file, v, "a number of rows (0: no cap)",
                                       &p->max_rows_per_second));
    } else if (key == "max_size_mb") {
      MLOPS_RETURN_IF_ERROR(ReadScalar(file, v, "a number of MiB", &p->max_size_mb));
    } else {
      MLOPS_RETURN_IF_ERROR(ReadDuration(file, v, &p->max_age));
    }
    if (Status s = CheckPredictionLogOptions(*p); !s.ok()) {
      return Status::InvalidArgument(Where(file, v) + ": " + s.message());
    }
  }
  return Status::OK();
}

// One key of `serving:` into *c.
Status ReadSetting(const std::string& file, const std::string& key, const YAML::Node& v,
                   ServingConfig* c) {
  if (key == "listen") {
    MLOPS_RETURN_IF_ERROR(ReadScalar(file, v, "HOST:PORT", &c->listen));
    return Expect(ValidListen(c->listen), file, v, "HOST:PORT with a port from 0 to 65535");
  }
  if (key == "threads") return ReadRange(file, v, 2, 1024, &c->threads);
  if (key == "max_batch_rows") return ReadRange<int64_t>(file, v, 1, 1'000'000, &c->max_batch_rows);
  if (key == "max_body_mb") return ReadRange<int64_t>(file, v, 1, 1024, &c->max_body_mb);
  if (key == "anonymous_predict") return ReadScalar(file, v, "true or false", &c->anonymous_predict);
  if (key == "predict_roles") return ReadRoles(file, v, &c->predict_roles);
  if (key == "reload_interval") {
    return ReadDurationRange(file, v, std::chrono::milliseconds(10), std::chrono::minutes(1),
                             "10ms to 1m", &c->reload_interval);
  }
  if (key == "prediction_log") return ReadPredictionLog(file, v, &c->prediction_log);
  if (key == "restart_backoff_max") {
    return ReadDurationRange(file, v, std::chrono::seconds(1), std::chrono::hours(1), "1s to 1h",
                             &c->restart_backoff_max);
  }
  return Status::InvalidArgument(file + ": serving setting '" + key + "' has no reader");
}

std::string JoinErrors(const std::vector<std::string>& errors) {
  std::string all;
  for (const auto& e : errors) all += (all.empty() ? "" : "\n") + e;
  return all;
}

}  // namespace

bool IsLoopbackListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon == std::string::npos ? listen.size() : colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

Status ParseServingConfig(const std::string& file, const YAML::Node& node, ServingConfig* out) {
  if (node.IsNull()) return Status::OK();
  MLOPS_RETURN_IF_ERROR(Expect(node.IsMap(), file, node, "a mapping of serving settings"));
  static const std::vector<std::string_view> kKeys = {
      "listen", "threads", "max_batch_rows", "max_body_mb", "anonymous_predict", "predict_roles",
      "reload_interval", "prediction_log", "restart_backoff_max"};
  std::vector<std::string> errors;
  std::vector<std::string> seen;
  for (const auto& kv : node) {
    std::string key;
    Status s = CheckKey(file, kv.first, kKeys, "serving setting", &seen, &key);
    if (s.ok()) s = ReadSetting(file, key, kv.second, out);
    if (!s.ok()) errors.push_back(s.message());
  }
  if (errors.empty() && out->anonymous_predict && !IsLoopbackListen(out->listen)) {
    errors.push_back(Where(file, node) + ": anonymous_predict needs a loopback listen address "
                     "(127.0.0.1, ::1 or localhost), got '" + out->listen + "'");
  }
  if (errors.empty()) return Status::OK();
  return Status::InvalidArgument(JoinErrors(errors));
}

Status LoadServeFileConfig(const std::string& path, ServeFileConfig* out) {
  YAML::Node root;
  MLOPS_RETURN_IF_ERROR(config_yaml::LoadYamlFile(path, &root));
  if (root.IsNull()) return Status::OK();
  MLOPS_RETURN_IF_ERROR(Expect(root.IsMap(), path, root, "a mapping of settings"));
  std::vector<std::string> errors;
  for (const auto& kv : root) {
    if (!kv.first.IsScalar()) continue;  // mlopsd's loader reports it
    const std::string key = kv.first.as<std::string>();
    Status s;
    if (key == "serving") {
      out->has_serving = true;
      s = ParseServingConfig(path, kv.second, &out->serving);
    } else if (key == "state_dir") {
      s = ReadScalar(path, kv.second, "a folder path", &out->state_dir);
    } else if (key == "tls" && kv.second.IsMap()) {
      if (kv.second["cert"]) s = ReadScalar(path, kv.second["cert"], "a PEM file", &out->tls_cert);
      if (s.ok() && kv.second["key"]) {
        s = ReadScalar(path, kv.second["key"], "a PEM file", &out->tls_key);
      }
    }
    if (!s.ok()) errors.push_back(s.message());
  }
  if (out->tls_cert.empty() != out->tls_key.empty()) {
    errors.push_back(path + ": tls needs both cert and key");
  }
  if (errors.empty()) return Status::OK();
  return Status::InvalidArgument(JoinErrors(errors));
}

}  // namespace mlops::serving
