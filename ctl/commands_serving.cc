#include "commands_serving.h"

#include <iostream>
#include <memory>

#include "exit_codes.h"
#include "http_client.h"
#include "json_fields.h"
#include "table.h"

namespace mlops::ctl {

using nlohmann::json;

namespace {

std::string VersionState(const json& served, int64_t version) {
  const std::string key = std::to_string(version);
  if (!served.is_object() || !served.contains(key)) return "not loaded";
  const json& v = served[key];
  std::string s = Str(v, "state");
  if (!Str(v, "reason").empty()) s += " (" + Str(v, "reason") + ")";
  return s + ", " + std::to_string(Int(v, "requests")) + " requests, " +
         std::to_string(Int(v, "errors")) + " errors";
}

void PrintStatus(const json& r) {
  const json& server = r.contains("server") ? r["server"] : json::object();
  std::cout << "mlops-serve: " << Str(server, "status");
  if (server.contains("address") && server["address"].is_string()) {
    std::cout << " on " << server["address"].get<std::string>();
  }
  if (server.contains("stats_problem")) std::cout << " (" << Str(server, "stats_problem") << ")";
  std::cout << "\n";
  if (server.contains("supervisor") && server["supervisor"].is_object()) {
    std::cout << "supervised by mlopsd: " << Str(server["supervisor"], "state") << "\n";
  }
  Table t({"MODEL", "VERSION", "ROLE", "SHARE", "SERVED", "CANARY WINDOW"});
  for (const json& m : r.value("models", json::array())) {
    const json served = m.value("served", json::object());
    const bool canary = m.contains("canary") && m["canary"].is_object();
    const int share = canary ? static_cast<int>(Int(m["canary"], "share_percent")) : 0;
    if (Int(m, "production_version") > 0) {
      t.Add({Str(m, "name"), std::to_string(Int(m, "production_version")), "production",
             std::to_string(100 - share) + "%", VersionState(served, Int(m, "production_version")), ""});
    }
    if (canary) {
      const json& c = m["canary"];
      std::string window;
      if (c.contains("controller")) {
        const json& ctl = c["controller"];
        window = Str(ctl, "note").empty()
                     ? std::to_string(Int(ctl, "windows_judged")) + " judged, " +
                           std::to_string(Int(ctl, "consecutive_breaches")) + " broken in a row"
                     : Str(ctl, "note");
      }
      t.Add({Str(m, "name"), std::to_string(Int(c, "version")), "canary (" + Str(c, "state") + ")",
             std::to_string(share) + "%", VersionState(served, Int(c, "version")), window});
    }
  }
  t.Print(std::cout);
}

}  // namespace

bool ParseSharePercent(const std::string& text, int* out) {
  std::string digits = text;
  if (!digits.empty() && digits.back() == '%') digits.pop_back();
  if (digits.empty() || digits.size() > 3) return false;
  int n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  if (n > 100) return false;
  *out = n;
  return true;
}

int ServeStatus(const ApiClient& api, const Output& out) {
  json r;
  if (int rc = api.Get("/api/v1/serving", &r); rc != kExitOk) return rc;
  if (out.json) std::cout << r.dump(2) << "\n";
  else PrintStatus(r);
  return kExitOk;
}

void AddServingCommands(CLI::App& app, const std::function<ApiClient()>& api, const Output& out,
                        int* rc) {
  CLI::App* serve = nullptr;
  for (CLI::App* sub : app.get_subcommands({})) {
    if (sub->get_name() == "serve") serve = sub;
  }
  if (serve == nullptr) {
    serve = app.add_subcommand("serve", "mlops-serve: the models answering predictions");
    serve->require_subcommand(1);
  }
  serve->add_subcommand("status", "models, versions, canary shares and the server's health")
      ->callback([=, &out] { *rc = ServeStatus(api(), out); });

  struct Args {
    std::string name, share, reason;
    int64_t version = 0;
    bool stop = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* models = app.get_subcommand("models");
  auto* canary = models->add_subcommand(
      "canary", "start a canary (NAME VERSION [--share 10%]), change its share, or --stop it");
  canary->add_option("name", a->name)->required();
  canary->add_option("version", a->version, "the version to try (start)")->check(CLI::PositiveNumber);
  canary->add_option("--share", a->share, "share of the model's requests, e.g. 10%");
  canary->add_flag("--stop", a->stop, "stop the canary: all requests to production");
  canary->add_option("--reason", a->reason, "why (kept in the audit log)");
  canary->callback([=, &out] {
    int share = -1;
    if (!a->share.empty() && !ParseSharePercent(a->share, &share)) {
      std::cerr << "mlctl: --share: expected a percentage from 0% to 100%, got '" << a->share << "'\n";
      *rc = kExitUsage;
      return;
    }
    json body;
    if (a->stop) {
      if (a->version != 0 || share >= 0) {
        std::cerr << "mlctl: --stop takes only the model's name\n";
        *rc = kExitUsage;
        return;
      }
      body = {{"action", "stop"}};
      if (!a->reason.empty()) body["reason"] = a->reason;
    } else if (a->version != 0) {
      body = {{"action", "start"}, {"version", a->version}};
      if (share >= 0) body["share_percent"] = share;
    } else if (share >= 0) {
      body = {{"action", "share"}, {"share_percent", share}};
    } else {
      std::cerr << "mlctl: models canary: give a VERSION to start, --share to change the share, "
                   "or --stop\n";
      *rc = kExitUsage;
      return;
    }
    json r;
    *rc = api().Post("/api/v1/models/" + UrlEncode(a->name) + "/canary", body, &r);
    if (*rc != kExitOk) return;
    if (out.json) {
      std::cout << r.dump(2) << "\n";
    } else if (!r.contains("canary") || r["canary"].is_null()) {
      std::cout << "model " << a->name << ": canary stopped; production answers every request\n";
    } else {
      std::cout << "model " << a->name << ": version " << Int(r["canary"], "version")
                << " is the canary at " << Int(r["canary"], "share_percent") << "% ("
                << Str(r["canary"], "state") << ")\n";
    }
  });
}

}  // namespace mlops::ctl
