// ApiClient: mlctl's view of the daemon's REST API. Every call returns an
// exit code (exit_codes.h) and prints a clear error to stderr on failure.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "http_client.h"

namespace mlops::ctl {

class ApiClient {
 public:
  // A non-empty `token` goes with every request as a bearer token.
  explicit ApiClient(std::string server, std::string token = "")
      : server_(std::move(server)), token_(std::move(token)) {}
  int Get(const std::string& path, nlohmann::json* out) const;
  int Post(const std::string& path, const nlohmann::json& body, nlohmann::json* out) const;
  // Raw access (logs, artifact content); errors already printed.
  int Call(const std::string& method, const std::string& path, const std::string& body,
           HttpResult* out) const;
  // Like Call, but an HTTP error status is the caller's to handle: only a
  // transport failure is printed (and its exit code returned); otherwise
  // kExitOk with out->status set, whatever it is.
  int Fetch(const std::string& method, const std::string& path, const std::string& body,
            HttpResult* out) const;
  // Prints the error a failed answer carries and returns its exit code
  // (kExitOk for a status below 400).
  static int ReportHttpError(const std::string& method, const std::string& path,
                             const HttpResult& r);
  const std::string& server() const { return server_; }
  const std::string& token() const { return token_; }

 private:
  std::string server_;
  std::string token_;
};

}  // namespace mlops::ctl
