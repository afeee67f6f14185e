#include "commands_tokens.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "exit_codes.h"
#include "json_fields.h"
#include "table.h"

namespace mlops::ctl {

using nlohmann::json;

namespace {

bool ReadTokenFile(const std::string& path, std::string* token, std::string* error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    *error = "cannot read the token file " + path;
    return false;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  if (s.empty()) {
    *error = "the token file " + path + " is empty";
    return false;
  }
  if (s.find_first_of("\r\n \t") != std::string::npos) {
    *error = "the token file " + path + " must hold one token on one line";
    return false;
  }
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    std::cerr << "mlctl: warning: the token file " << path
              << " can be read by other users; chmod 600 it\n";
  }
  *token = std::move(s);
  return true;
}

}  // namespace

bool ResolveToken(const std::string& token_file_option, std::string* token, std::string* error) {
  token->clear();
  if (!token_file_option.empty()) return ReadTokenFile(token_file_option, token, error);
  const char* env_token = std::getenv("MLCTL_TOKEN");
  if (env_token && *env_token) {
    *token = env_token;
    return true;
  }
  const char* env_file = std::getenv("MLCTL_TOKEN_FILE");
  if (env_file && *env_file) return ReadTokenFile(env_file, token, error);
  return true;
}

int TokensCreate(const ApiClient& api, const std::string& name, const std::string& role,
                 const Output& out) {
  json resp;
  int rc = api.Post("/api/v1/tokens", {{"name", name}, {"role", role}}, &resp);
  if (rc != kExitOk) return rc;
  if (out.json) {
    std::cout << resp.dump(2) << "\n";
    return kExitOk;
  }
  // The token on stdout alone, so that `mlctl tokens create ... > file`
  // stores exactly it; the rest goes to stderr.
  std::cout << Str(resp, "token") << "\n";
  std::cerr << "token " << Int(resp, "id") << " '" << Str(resp, "name") << "' (role "
            << Str(resp, "role") << ") created; it is shown only this once\n";
  return kExitOk;
}

int TokensList(const ApiClient& api, const Output& out) {
  json resp;
  int rc = api.Get("/api/v1/tokens", &resp);
  if (rc != kExitOk) return rc;
  if (out.json) {
    std::cout << resp.dump(2) << "\n";
    return kExitOk;
  }
  Table t({"ID", "NAME", "ROLE", "CREATED", "BY", "LAST USED", "REVOKED"});
  for (const auto& k : resp["tokens"]) {
    t.Add({std::to_string(Int(k, "id")), Str(k, "name"), Str(k, "role"),
           FormatTime(Int(k, "created_ms")), Str(k, "created_by"),
           FormatTime(Int(k, "last_used_ms")), FormatTime(Int(k, "revoked_ms"))});
  }
  t.Print(std::cout);
  return kExitOk;
}

int TokensRevoke(const ApiClient& api, int64_t id, const Output& out) {
  json resp;
  int rc = api.Post("/api/v1/tokens/" + std::to_string(id) + "/revoke", json::object(), &resp);
  if (rc != kExitOk) return rc;
  if (out.json) {
    std::cout << resp.dump(2) << "\n";
  } else {
    std::cout << "revoked token " << Int(resp, "id") << " '" << Str(resp, "name") << "'\n";
  }
  return kExitOk;
}

int WhoAmI(const ApiClient& api, const Output& out) {
  json resp;
  int rc = api.Get("/api/v1/whoami", &resp);
  if (rc != kExitOk) return rc;
  if (out.json) {
    std::cout << resp.dump(2) << "\n";
  } else {
    std::cout << Str(resp, "name") << " (" << Str(resp, "role") << ")\n";
  }
  return kExitOk;
}

}  // namespace mlops::ctl
