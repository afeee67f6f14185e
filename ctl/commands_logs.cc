// `mlctl logs RUN [STAGE] [-f]`: a run's stage logs, attempt by attempt in
// the order the attempts started. Following (-f) lasts until the run ends:
// attempts that start later (later stages, retries) are printed as they
// come, and a named stage that has not started yet is waited for.
#include <chrono>
#include <iostream>
#include <set>
#include <thread>

#include "commands.h"
#include "exit_codes.h"
#include "json_fields.h"

namespace mlops::ctl {

using nlohmann::json;

namespace {

constexpr auto kPollPause = std::chrono::milliseconds(100);

bool RunEnded(const std::string& status) {
  return status == "succeeded" || status == "failed" || status == "cancelled" ||
         status == "interrupted";
}

// Prints one attempt's log from its start; with `follow`, until the attempt
// has ended and all it wrote is printed.
int PrintAttempt(const ApiClient& api, int64_t run_id, const std::string& stage, int attempt,
                 bool follow) {
  int64_t offset = 0;
  for (;;) {
    const std::string path = "/api/v1/runs/" + std::to_string(run_id) + "/logs/" +
                             UrlEncode(stage) + "?attempt=" + std::to_string(attempt) +
                             "&offset=" + std::to_string(offset);
    HttpResult r;
    const int rc = api.Call("GET", path, "", &r);
    if (rc != kExitOk) return rc;
    std::cout << r.body << std::flush;
    const auto& off = r.headers["x-log-offset"];
    offset = off.empty() ? 0 : std::stoll(off);
    if (!follow || (r.headers["x-attempt-status"] != "running" && r.body.empty())) return kExitOk;
    if (r.body.empty()) std::this_thread::sleep_for(kPollPause);
  }
}

// The run (full, with its attempts), following an up-to-date run to the
// run whose results stand for it.
int GetRun(const ApiClient& api, int64_t* run_id, json* run) {
  int rc = api.Get("/api/v1/runs/" + std::to_string(*run_id), run);
  if (rc != kExitOk) return rc;
  if (Int(*run, "results_run_id") != 0) {
    std::cerr << "run " << *run_id << " was up to date; logs of run "
              << Int(*run, "results_run_id") << "\n";
    *run_id = Int(*run, "results_run_id");
    return api.Get("/api/v1/runs/" + std::to_string(*run_id), run);
  }
  return kExitOk;
}

}  // namespace

int Logs(const ApiClient& api, int64_t run_id, const std::string& stage, int attempt, bool follow) {
  json run;
  int rc = GetRun(api, &run_id, &run);
  if (rc != kExitOk) return rc;
  std::set<int64_t> printed;  // attempt ids
  bool any = false;
  for (;;) {
    bool progressed = false;
    for (const auto& a : run["stages"]) {
      const int64_t id = Int(a, "id");
      const std::string name = Str(a, "stage");
      const int number = static_cast<int>(Int(a, "attempt"));
      if (printed.count(id) != 0) continue;
      if (!stage.empty() && name != stage) continue;
      if (attempt > 0 && number != attempt) continue;
      if (!stage.empty() && attempt == 0 && !follow) {
        // Without -f a named stage shows its latest attempt only.
        bool later = false;
        for (const auto& b : run["stages"]) {
          later |= Str(b, "stage") == name && Int(b, "attempt") > number;
        }
        if (later) continue;
      }
      // A header per attempt when several stages or attempts are shown.
      if (stage.empty() || number > 1) {
        std::cout << "==> " << name
                  << (number > 1 ? " (attempt " + std::to_string(number) + ")" : "") << " <==\n";
      }
      rc = PrintAttempt(api, run_id, name, number, follow);
      if (rc != kExitOk) return rc;
      printed.insert(id);
      any = progressed = true;
    }
    const bool ended = RunEnded(Str(run, "status"));
    if (!follow || (ended && !progressed)) break;
    if (!progressed) {
      // Nothing new has started: wait for the run to change (the daemon
      // holds this poll until the run ends, or for a short while).
      json summary;
      rc = api.Get("/api/v1/runs/" + std::to_string(run_id) + "?view=summary&wait_ms=250",
                   &summary);
      if (rc != kExitOk) return rc;
    }
    rc = api.Get("/api/v1/runs/" + std::to_string(run_id), &run);
    if (rc != kExitOk) return rc;
  }
  if (!any && !stage.empty()) {
    std::cerr << "mlctl: run " << run_id << " has no attempt of stage '" << stage << "'"
              << (attempt > 0 ? " numbered " + std::to_string(attempt) : "")
              << (follow ? " (the run ended " + Str(run, "status") + ")" : "") << "\n";
    return kExitApiError;
  }
  return kExitOk;
}

}  // namespace mlops::ctl
