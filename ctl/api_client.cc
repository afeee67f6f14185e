#include "api_client.h"

#include <iostream>

#include "exit_codes.h"

namespace mlops::ctl {

int ApiClient::Fetch(const std::string& method, const std::string& path, const std::string& body,
                     HttpResult* out) const {
  Status s = HttpCall(server_, method, path, body, out, std::chrono::seconds(30), token_);
  if (!s.ok()) {
    std::cerr << "mlctl: " << s.message();
    if (s.IsUnavailable()) std::cerr << " (is mlopsd running? set --server or MLCTL_SERVER)";
    std::cerr << "\n";
    return s.IsInvalidArgument() ? kExitUsage : kExitUnreachable;
  }
  return kExitOk;
}

int ApiClient::Call(const std::string& method, const std::string& path, const std::string& body,
                    HttpResult* out) const {
  const int rc = Fetch(method, path, body, out);
  if (rc != kExitOk) return rc;
  return ReportHttpError(method, path, *out);
}

int ApiClient::ReportHttpError(const std::string& method, const std::string& path,
                               const HttpResult& r) {
  if (r.status >= 400) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    std::string detail = r.body;
    if (j.is_object() && j.contains("detail") && j["detail"].is_string()) detail = j["detail"];
    if (r.status == 401) {
      std::cerr << "mlctl: not authenticated: " << detail
                << " (give a token with MLCTL_TOKEN, MLCTL_TOKEN_FILE or --token-file)\n";
      return kExitDenied;
    }
    if (r.status == 403) {
      std::cerr << "mlctl: permission denied: " << detail << "\n";
      return kExitDenied;
    }
    std::cerr << "mlctl: " << method << " " << path << " failed with HTTP " << r.status << ": "
              << detail << "\n";
    return kExitApiError;
  }
  return kExitOk;
}

int ApiClient::Get(const std::string& path, nlohmann::json* out) const {
  HttpResult r;
  int rc = Call("GET", path, "", &r);
  if (rc != kExitOk) return rc;
  *out = nlohmann::json::parse(r.body, nullptr, false);
  if (out->is_discarded()) {
    std::cerr << "mlctl: the daemon answered " << path << " with invalid JSON\n";
    return kExitApiError;
  }
  return kExitOk;
}

int ApiClient::Post(const std::string& path, const nlohmann::json& body,
                    nlohmann::json* out) const {
  HttpResult r;
  int rc = Call("POST", path, body.dump(), &r);
  if (rc != kExitOk) return rc;
  *out = nlohmann::json::parse(r.body, nullptr, false);
  if (out->is_discarded()) *out = nlohmann::json::object();
  return kExitOk;
}

}  // namespace mlops::ctl
