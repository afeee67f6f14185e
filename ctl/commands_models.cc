#include "commands_models.h"

#include <openssl/rand.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "exit_codes.h"
#include "http_client.h"
#include "json_fields.h"
#include "table.h"

namespace mlops::ctl {

using nlohmann::json;

namespace {

std::string ModelPath(const std::string& name) { return "/api/v1/models/" + UrlEncode(name); }
std::string VersionPath(const std::string& name, int64_t version) {
  return ModelPath(name) + "/versions/" + std::to_string(version);
}

bool NewRequestId(std::string* out) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return false;
  static const char kHex[] = "0123456789abcdef";
  std::string s = "mlctl-";
  for (unsigned char b : bytes) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 0xf]);
  }
  *out = s;
  return true;
}

int Print(const json& j, const Output& out, const std::function<void()>& table) {
  if (out.json) std::cout << j.dump(2) << "\n";
  else table();
  return kExitOk;
}

void PrintPromotion(const json& r, const std::string& name, int64_t version) {
  if (r.value("approval_pending", false)) {
    std::cout << "model " << name << " version " << version
              << ": promotion to production requested; another admin must run "
                 "`mlctl models approve "
              << name << " " << version << "`\n";
    return;
  }
  std::cout << "model " << name << " version " << version << ": " << Str(r, "from") << " -> "
            << Str(r, "to");
  if (Int(r, "previous_production") > 0) {
    std::cout << " (version " << Int(r, "previous_production") << " archived)";
  }
  std::cout << "\n";
  if (r.contains("stable_path")) std::cout << "production path: " << Str(r, "stable_path") << "\n";
  if (r.contains("deploy")) std::cout << Str(r["deploy"], "result") << "\n";
  if (r.contains("warning")) std::cerr << "mlctl: warning: " << Str(r, "warning") << "\n";
}

int FetchProduction(const ApiClient& api, const std::string& name, int64_t* production) {
  json m;
  int rc = api.Get(ModelPath(name), &m);
  if (rc != kExitOk) return rc;
  *production = Int(m, "production_version");
  return kExitOk;
}

}  // namespace

int ModelsList(const ApiClient& api, const Output& out) {
  json resp;
  if (int rc = api.Get("/api/v1/models", &resp); rc != kExitOk) return rc;
  return Print(resp, out, [&] {
    Table t({"MODEL", "PIPELINE", "PRODUCTION", "LATEST", "CREATED"});
    for (const auto& m : resp.value("models", json::array())) {
      t.Add({Str(m, "name"), Str(m, "pipeline"),
             Int(m, "production_version") ? std::to_string(Int(m, "production_version")) : "-",
             std::to_string(Int(m, "latest_version")), FormatTime(Int(m, "created_ms"))});
    }
    t.Print(std::cout);
  });
}

int ModelsShow(const ApiClient& api, const std::string& name, const Output& out) {
  json m;
  if (int rc = api.Get(ModelPath(name), &m); rc != kExitOk) return rc;
  return Print(m, out, [&] {
    std::cout << "model " << Str(m, "name") << " (pipeline " << Str(m, "pipeline")
              << "), production version "
              << (Int(m, "production_version") ? std::to_string(Int(m, "production_version")) : "none")
              << "\n";
    Table t({"VERSION", "STAGE", "SIGNED", "GATES", "RUN", "ARTIFACT", "ALIASES", "CREATED"});
    for (const auto& v : m.value("versions", json::array())) {
      std::string aliases;
      for (const auto& a : v.value("aliases", json::array())) {
        aliases += (aliases.empty() ? "" : ",") + a.get<std::string>();
      }
      t.Add({std::to_string(Int(v, "version")), Str(v, "stage"),
             v.value("signed", false) ? "yes" : "no", v.value("gates_passed", false) ? "passed" : "failed",
             std::to_string(Int(v, "run_id")), Str(v, "artifact_sha256").substr(0, 12),
             aliases.empty() ? "-" : aliases, FormatTime(Int(v, "created_ms"))});
    }
    t.Print(std::cout);
  });
}

int ModelsPromote(const ApiClient& api, const std::string& name, int64_t version,
                  const std::string& to, const std::string& reason, const Output& out) {
  int64_t production = 0;
  if (int rc = FetchProduction(api, name, &production); rc != kExitOk) return rc;
  std::string request_id;
  if (!NewRequestId(&request_id)) {
    std::cerr << "mlctl: cannot make a random request id\n";
    return kExitUsage;
  }
  json body = {{"to", to}, {"expected_production", production}, {"request_id", request_id}};
  if (!reason.empty()) body["reason"] = reason;
  json r;
  if (int rc = api.Post(VersionPath(name, version) + "/promote", body, &r); rc != kExitOk) return rc;
  return Print(r, out, [&] { PrintPromotion(r, name, version); });
}

int ModelsApprove(const ApiClient& api, const std::string& name, int64_t version, const Output& out) {
  json r;
  if (int rc = api.Post(VersionPath(name, version) + "/approve", json::object(), &r); rc != kExitOk) {
    return rc;
  }
  return Print(r, out, [&] { PrintPromotion(r, name, version); });
}

int ModelsRollback(const ApiClient& api, const std::string& name, int64_t version,
                   const std::string& reason, const Output& out) {
  std::string request_id;
  if (!NewRequestId(&request_id)) {
    std::cerr << "mlctl: cannot make a random request id\n";
    return kExitUsage;
  }
  json r;
  int rc = api.Post(ModelPath(name) + "/rollback",
                    {{"version", version}, {"reason", reason}, {"request_id", request_id}}, &r);
  if (rc != kExitOk) return rc;
  return Print(r, out, [&] { PrintPromotion(r, name, version); });
}

int ModelsAlias(const ApiClient& api, const std::string& name, const std::string& alias,
                int64_t version, const Output& out) {
  HttpResult res;
  int rc = api.Call("PUT", ModelPath(name) + "/aliases/" + UrlEncode(alias),
                    json{{"version", version}}.dump(), &res);
  if (rc != kExitOk) return rc;
  json r = json::parse(res.body, nullptr, false);
  return Print(r, out, [&] {
    std::cout << "model " << name << ": alias " << alias << " -> version " << version << "\n";
  });
}

int ModelsUnalias(const ApiClient& api, const std::string& name, const std::string& alias,
                  const Output& out) {
  HttpResult res;
  int rc = api.Call("DELETE", ModelPath(name) + "/aliases/" + UrlEncode(alias), "", &res);
  if (rc != kExitOk) return rc;
  json r = json::parse(res.body, nullptr, false);
  return Print(r, out, [&] { std::cout << "model " << name << ": alias " << alias << " removed\n"; });
}

int ModelsVerify(const ApiClient& api, const std::string& name, int64_t version, const Output& out) {
  json r;
  if (int rc = api.Post(VersionPath(name, version) + "/verify", json::object(), &r); rc != kExitOk) {
    return rc;
  }
  const bool ok = r.value("verified", false);
  Print(r, out, [&] {
    if (ok) {
      std::cout << "model " << name << " version " << version << ": verified (key "
                << Str(r, "key_id") << ", " << r.value("subjects", json::array()).size()
                << " files, gates passed)\n";
    } else {
      std::cout << "model " << name << " version " << version << ": NOT verified: "
                << Str(r, "reason") << "\n";
    }
  });
  return ok ? kExitOk : kExitVerifyFailed;
}

int Audit(const ApiClient& api, const std::string& model, int limit, int64_t before,
          const Output& out) {
  std::string path = "/api/v1/audit?limit=" + std::to_string(limit);
  if (!model.empty()) path += "&model=" + UrlEncode(model);
  if (before > 0) path += "&before=" + std::to_string(before);
  json resp;
  if (int rc = api.Get(path, &resp); rc != kExitOk) return rc;
  return Print(resp, out, [&] {
    Table t({"ID", "WHEN", "ACTOR", "ACTION", "MODEL", "VERSION", "FROM", "TO", "REASON"});
    for (const auto& a : resp.value("entries", json::array())) {
      t.Add({std::to_string(Int(a, "id")), FormatTime(Int(a, "at_ms")), Str(a, "actor"),
             Str(a, "action"), Str(a, "model").empty() ? "-" : Str(a, "model"),
             Int(a, "version") ? std::to_string(Int(a, "version")) : "-",
             Str(a, "from").empty() ? "-" : Str(a, "from"), Str(a, "to").empty() ? "-" : Str(a, "to"),
             Str(a, "reason")});
    }
    t.Print(std::cout);
  });
}

int KeysList(const ApiClient& api, const Output& out) {
  json resp;
  if (int rc = api.Get("/api/v1/keys", &resp); rc != kExitOk) return rc;
  return Print(resp, out, [&] {
    Table t({"KEY ID", "NAME", "STATE", "ADDED", "BY"});
    for (const auto& k : resp.value("keys", json::array())) {
      t.Add({Str(k, "key_id"), Str(k, "name"),
             k.value("revoked", false) ? "revoked by " + Str(k, "revoked_by") : "trusted",
             FormatTime(Int(k, "added_ms")), Str(k, "added_by")});
    }
    t.Print(std::cout);
  });
}

int KeysTrust(const ApiClient& api, const std::string& pub_file, const std::string& name,
              const Output& out) {
  std::ifstream f(pub_file, std::ios::binary);
  if (!f) {
    std::cerr << "mlctl: cannot read the public key file " << pub_file << "\n";
    return kExitUsage;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  std::string key_name = name;
  if (key_name.empty()) {
    key_name = pub_file.substr(pub_file.find_last_of('/') + 1);
    if (key_name.ends_with(".pub")) key_name.resize(key_name.size() - 4);
  }
  json r;
  if (int rc = api.Post("/api/v1/keys", {{"pem", ss.str()}, {"name", key_name}}, &r); rc != kExitOk) {
    return rc;
  }
  return Print(r, out, [&] {
    std::cout << "key " << Str(r, "key_id") << " '" << Str(r, "name") << "' "
              << (r.value("revoked", false) ? "is revoked" : "is trusted") << "\n";
  });
}

int KeysRevoke(const ApiClient& api, const std::string& key_id, const Output& out) {
  json r;
  int rc = api.Post("/api/v1/keys/" + UrlEncode(key_id) + "/revoke", json::object(), &r);
  if (rc != kExitOk) return rc;
  return Print(r, out, [&] {
    std::cout << "key " << Str(r, "key_id") << " '" << Str(r, "name") << "' revoked\n";
  });
}

void RegisteredVersion(const ApiClient& api, const json& run, std::string* model,
                       std::string* version) {
  model->clear();
  version->clear();
  const std::string pipeline = Str(run, "pipeline");
  const int64_t run_id = Int(run, "id");
  json models;
  HttpResult res;
  if (pipeline.empty() || api.Call("GET", "/api/v1/models", "", &res) != kExitOk) return;
  models = json::parse(res.body, nullptr, false);
  if (!models.is_object()) return;
  for (const auto& m : models.value("models", json::array())) {
    if (Str(m, "pipeline") != pipeline) continue;
    if (api.Call("GET", ModelPath(Str(m, "name")), "", &res) != kExitOk) return;
    json detail = json::parse(res.body, nullptr, false);
    if (!detail.is_object()) return;
    for (const auto& v : detail.value("versions", json::array())) {
      if (Int(v, "run_id") == run_id) {
        *model = Str(m, "name");
        *version = std::to_string(Int(v, "version"));
        return;
      }
    }
  }
}

void AddModelCommands(CLI::App& app, CLI::App* keys, const std::function<ApiClient()>& api,
                      const Output& out, int* rc) {
  struct Args {
    std::string name, alias, to, reason, key_file, key_name, key_id;
    int64_t version = 0, before = 0;
    int limit = 50;
  };
  auto a = std::make_shared<Args>();
  auto* models = app.add_subcommand("models", "the model registry: versions, stages, aliases");
  models->require_subcommand(1);
  models->add_subcommand("list", "every model with its production version")->callback([=, &out] {
    *rc = ModelsList(api(), out);
  });
  auto* show = models->add_subcommand("show", "a model's versions, stages and aliases");
  show->add_option("name", a->name)->required();
  show->callback([=, &out] { *rc = ModelsShow(api(), a->name, out); });

  auto* promote = models->add_subcommand("promote", "promote a version to staging or production");
  promote->add_option("name", a->name)->required();
  promote->add_option("version", a->version)->required()->check(CLI::PositiveNumber);
  promote->add_option("--to", a->to, "staging or production")
      ->required()
      ->check(CLI::IsMember({"staging", "production"}));
  promote->add_option("--reason", a->reason, "why (kept in the audit log)");
  promote->callback([=, &out] {
    *rc = ModelsPromote(api(), a->name, a->version, a->to, a->reason, out);
  });
  auto* approve = models->add_subcommand("approve", "approve a requested production promotion (admin)");
  approve->add_option("name", a->name)->required();
  approve->add_option("version", a->version)->required()->check(CLI::PositiveNumber);
  approve->callback([=, &out] { *rc = ModelsApprove(api(), a->name, a->version, out); });
  auto* rollback = models->add_subcommand("rollback", "put an earlier production version back (admin)");
  rollback->add_option("name", a->name)->required();
  rollback->add_option("version", a->version)->required()->check(CLI::PositiveNumber);
  rollback->add_option("--reason", a->reason, "why (required; kept in the audit log)")->required();
  rollback->callback([=, &out] {
    *rc = ModelsRollback(api(), a->name, a->version, a->reason, out);
  });
  auto* alias = models->add_subcommand("alias", "point an alias at a version (moves it)");
  alias->add_option("name", a->name)->required();
  alias->add_option("alias", a->alias)->required();
  alias->add_option("version", a->version)->required()->check(CLI::PositiveNumber);
  alias->callback([=, &out] { *rc = ModelsAlias(api(), a->name, a->alias, a->version, out); });
  auto* unalias = models->add_subcommand("unalias", "remove an alias");
  unalias->add_option("name", a->name)->required();
  unalias->add_option("alias", a->alias)->required();
  unalias->callback([=, &out] { *rc = ModelsUnalias(api(), a->name, a->alias, out); });
  auto* verify = models->add_subcommand("verify", "the daemon re-checks a version's signature and files");
  verify->add_option("name", a->name)->required();
  verify->add_option("version", a->version)->required()->check(CLI::PositiveNumber);
  verify->callback([=, &out] { *rc = ModelsVerify(api(), a->name, a->version, out); });

  auto* audit = app.add_subcommand("audit", "the append-only audit log, newest first");
  audit->add_option("--model", a->name, "only this model's entries");
  audit->add_option("--limit", a->limit, "at most this many (1..1000)")->check(CLI::Range(1, 1000));
  audit->add_option("--before", a->before, "entries older than this id (paging)")
      ->check(CLI::PositiveNumber);
  audit->callback([=, &out] { *rc = Audit(api(), a->name, a->limit, a->before, out); });

  keys->add_subcommand("list", "keys the daemon trusts (and revoked ones)")->callback([=, &out] {
    *rc = KeysList(api(), out);
  });
  auto* trust = keys->add_subcommand("trust", "trust a public key (admin)");
  trust->add_option("file", a->key_file, "the public key (PEM, from keys generate)")->required();
  trust->add_option("--name", a->key_name, "a name for it (default: the file's name)");
  trust->callback([=, &out] { *rc = KeysTrust(api(), a->key_file, a->key_name, out); });
  auto* revoke = keys->add_subcommand("revoke", "revoke a key for good (admin)");
  revoke->add_option("key_id", a->key_id)->required();
  revoke->callback([=, &out] { *rc = KeysRevoke(api(), a->key_id, out); });
}

}  // namespace mlops::ctl
