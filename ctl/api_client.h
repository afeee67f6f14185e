// ApiClient: mlctl's view of the daemon's REST API. Every call returns an
// exit code (exit_codes.h) and prints a clear error to stderr on failure.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "http_client.h"

namespace mlops::ctl {

class ApiClient {
 public:
  explicit ApiClient(std::string server) : server_(std::move(server)) {}
  int Get(const std::string& path, nlohmann::json* out) const;
  int Post(const std::string& path, const nlohmann::json& body, nlohmann::json* out) const;
  // Raw access (logs, artifact content); errors already printed.
  int Call(const std::string& method, const std::string& path, const std::string& body,
           HttpResult* out) const;
  const std::string& server() const { return server_; }

 private:
  std::string server_;
};

}  // namespace mlops::ctl
