#include <iostream>

#include "commands.h"
#include "exit_codes.h"
#include "json_fields.h"
#include "table.h"

namespace mlops::ctl {

using nlohmann::json;

int ReposList(const ApiClient& api, const Output& out) {
  json resp;
  int rc = api.Get("/api/v1/repos", &resp);
  if (rc != kExitOk) return rc;
  if (out.json) {
    std::cout << resp.dump(2) << "\n";
    return kExitOk;
  }
  Table t({"NAME", "STATE", "URL", "HEADS", "LAST SUCCESS", "NEXT POLL", "LAST ERROR"});
  for (const auto& r : resp["repos"]) {
    std::string heads;
    if (r.contains("heads")) {
      for (const auto& [branch, commit] : r["heads"].items()) {
        if (!heads.empty()) heads += " ";
        heads += branch + "@" + commit.get<std::string>().substr(0, 12);
      }
    }
    t.Add({Str(r, "name"), Str(r, "state"), Str(r, "url"), heads.empty() ? "-" : heads,
           FormatTime(Int(r, "last_success_ms")), FormatTime(Int(r, "next_poll_ms")),
           Str(r, "last_error")});
  }
  t.Print(std::cout);
  return kExitOk;
}

int ReposShow(const ApiClient& api, const std::string& name, const Output& out) {
  json r;
  int rc = api.Get("/api/v1/repos/" + UrlEncode(name), &r);
  if (rc != kExitOk) return rc;
  if (out.json) {
    std::cout << r.dump(2) << "\n";
    return kExitOk;
  }
  std::string branches, heads;
  if (r.contains("branches")) {
    for (const auto& b : r["branches"]) branches += (branches.empty() ? "" : " ") + b.get<std::string>();
  }
  if (r.contains("heads")) {
    for (const auto& [branch, commit] : r["heads"].items()) {
      heads += (heads.empty() ? "" : " ") + branch + "@" + commit.get<std::string>().substr(0, 12);
    }
  }
  std::cout << "repository " << Str(r, "name") << ": " << Str(r, "state") << "\n"
            << "url:          " << Str(r, "url") << "\n"
            << "branches:     " << (branches.empty() ? "-" : branches) << "\n"
            << "pipeline:     " << Str(r, "pipeline") << "\n"
            << "heads:        " << (heads.empty() ? "-" : heads) << "\n"
            << "last success: " << FormatTime(Int(r, "last_success_ms")) << "\n"
            << "next poll:    " << FormatTime(Int(r, "next_poll_ms")) << "\n";
  if (!Str(r, "last_error").empty()) {
    std::cout << "last error:   " << Str(r, "last_error") << " (" << Str(r, "consecutive_failures")
              << " failure(s) in a row)\n";
  }
  std::cout << "\n";
  Table t({"COMMIT", "BRANCH", "ORIGIN", "STATUS", "RUNS", "SEEN", "REASON"});
  for (const auto& c : r["commits"]) {
    std::string runs;
    for (const auto& id : c["runs"]) runs += (runs.empty() ? "" : ",") + std::to_string(id.get<int64_t>());
    std::string reason = Str(c, "reason");
    if (!Str(c, "superseded_by").empty()) {
      reason += (reason.empty() ? "" : "; ") + std::string("superseded by ") +
                Str(c, "superseded_by").substr(0, 12);
    }
    t.Add({Str(c, "commit").substr(0, 12), Str(c, "branch"), Str(c, "origin"), Str(c, "status"),
           runs.empty() ? "-" : runs, FormatTime(Int(c, "seen_ms")), reason});
  }
  t.Print(std::cout);
  return kExitOk;
}

int ReposSync(const ApiClient& api, const std::string& name, const Output& out) {
  json resp;
  int rc = api.Post("/api/v1/repos/" + UrlEncode(name) + "/sync", json::object(), &resp);
  if (rc != kExitOk) return rc;
  if (out.json) std::cout << resp.dump() << "\n";
  else std::cout << "repository " << name << ": sync requested\n";
  return kExitOk;
}

int DataList(const ApiClient& api, const Output& out) {
  json resp;
  int rc = api.Get("/api/v1/data", &resp);
  if (rc != kExitOk) return rc;
  if (out.json) {
    std::cout << resp.dump(2) << "\n";
    return kExitOk;
  }
  Table t({"ID", "PATH", "SHA256", "SIZE", "FIRST SEEN", "CURRENT"});
  for (const auto& d : resp["data_versions"]) {
    t.Add({Str(d, "id"), Str(d, "path"), Str(d, "sha256").substr(0, 16), Str(d, "size"),
           FormatTime(Int(d, "first_seen_ms")), Str(d, "current")});
  }
  t.Print(std::cout);
  return kExitOk;
}

int DataShow(const ApiClient& api, int64_t id, const Output& out) {
  json d;
  int rc = api.Get("/api/v1/data/" + std::to_string(id), &d);
  if (rc != kExitOk) return rc;
  if (out.json) {
    std::cout << d.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "data version " << Str(d, "id") << ": " << Str(d, "path") << "\nsha256: "
            << Str(d, "sha256") << "\nsize: " << Str(d, "size") << "\nfirst seen: "
            << FormatTime(Int(d, "first_seen_ms")) << "\n";
  if (d.contains("runs")) {
    std::cout << "\nruns it fed:\n";
    Table t({"RUN", "PIPELINE", "STATUS", "COMMIT"});
    for (const auto& r : d["runs"]) {
      t.Add({Str(r, "id"), Str(r, "pipeline"), Str(r, "status"), Str(r, "commit").substr(0, 12)});
    }
    t.Print(std::cout);
  }
  return kExitOk;
}

}  // namespace mlops::ctl
