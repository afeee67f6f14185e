#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>

#include "commands.h"
#include "exit_codes.h"
#include "json_fields.h"
#include "mlops/common/nearest_name.h"
#include "table.h"

namespace mlops::ctl {

using nlohmann::json;

namespace {

int ExitForStatus(const std::string& status) {
  if (status == "succeeded") return kExitOk;
  if (status == "cancelled" || status == "interrupted") return kExitCancelled;
  return kExitRunFailed;
}

bool Terminal(const std::string& status) {
  return status == "succeeded" || status == "failed" || status == "cancelled" ||
         status == "interrupted";
}

// " (up to date: the results of run M stand)" for a run found up to date.
std::string UpToDateNote(const json& run) {
  const int64_t results = Int(run, "results_run_id");
  if (results == 0) return "";
  return " (up to date: the results of run " + std::to_string(results) + " stand)";
}

// Prints how a run ended (the whole run as JSON with --json) and returns the
// exit code for it. `run` is its summary; --json fetches the full run.
int ReportEnd(const ApiClient& api, int64_t run_id, const json& run, const Output& out) {
  const std::string status = Str(run, "status");
  if (out.json) {
    json full;
    int rc = api.Get("/api/v1/runs/" + std::to_string(run_id), &full);
    if (rc != kExitOk) return rc;
    std::cout << full.dump() << "\n";
  } else {
    std::cout << "run " << run_id << " " << status;
    if (Int(run, "finished_ms") > 0 && Int(run, "results_run_id") == 0) {
      std::cout << " in " << FormatDuration(Int(run, "queued_ms"), Int(run, "finished_ms"));
    }
    if (!Str(run, "error").empty()) std::cout << ": " << Str(run, "error");
    std::cout << UpToDateNote(run) << "\n";
  }
  return ExitForStatus(status);
}

// The answer to a trigger of a pipeline the daemon does not know: the
// nearest name, and the names it knows.
int UnknownPipeline(const ApiClient& api, const std::string& name) {
  json list;
  int rc = api.Get("/api/v1/pipelines", &list);
  if (rc != kExitOk) return rc;
  std::vector<std::string> names;
  for (const auto& p : list["pipelines"]) names.push_back(Str(p, "name"));
  const std::vector<std::string_view> views(names.begin(), names.end());
  std::cerr << "mlctl: no pipeline named '" << name << "'" << DidYouMean(name, views);
  if (names.empty()) {
    std::cerr << " (the daemon knows no pipelines: see --pipelines and repositories in its config)";
  } else {
    std::cerr << " (pipelines:";
    for (const auto& n : names) std::cerr << " " << n;
    std::cerr << ")";
  }
  std::cerr << "\n";
  return kExitApiError;
}

}  // namespace

int Trigger(const ApiClient& api, const TriggerOptions& opts, const Output& out) {
  json body = json::object();
  if (opts.force) body["force"] = true;
  if (!opts.reason.empty()) body["reason"] = opts.reason;
  if (!opts.commit.empty()) body["commit"] = opts.commit;
  const std::string path = "/api/v1/pipelines/" + UrlEncode(opts.pipeline) + "/runs";
  HttpResult answer;
  int rc = api.Fetch("POST", path, body.dump(), &answer);
  if (rc != kExitOk) return rc;
  if (answer.status == 404) return UnknownPipeline(api, opts.pipeline);
  rc = ApiClient::ReportHttpError("POST", path, answer);
  if (rc != kExitOk) return rc;
  json resp = json::parse(answer.body, nullptr, false);
  if (!resp.is_object()) {
    std::cerr << "mlctl: the daemon answered " << path << " with invalid JSON\n";
    return kExitApiError;
  }
  const int64_t id = Int(resp, "id");
  if (!opts.wait) {
    if (out.json) std::cout << resp.dump() << "\n";
    else std::cout << id << "\n";
    return kExitOk;
  }
  // An up-to-date run is over before the answer: nothing to follow.
  if (Terminal(Str(resp, "status"))) return ReportEnd(api, id, resp, out);
  if (!out.json) std::cerr << "run " << id << " queued\n";
  return WaitForRun(api, id, opts.timeout_s, out);
}

int WaitForRun(const ApiClient& api, int64_t run_id, double timeout_s, const Output& out) {
  const auto start = std::chrono::steady_clock::now();
  auto delay = std::chrono::milliseconds(5);
  // Long-polls the summary (status and per-status stage counts), never the
  // whole run: the daemon answers when the run ends, or after kPollMs. For
  // the human progress lines it also asks for the attempts after `after`:
  // every attempt up to it has been printed in a final state.
  constexpr int kPollMs = 250;
  int64_t after = 0;
  std::map<int64_t, std::string> seen;  // attempt id -> status printed last
  for (;;) {
    std::string path = "/api/v1/runs/" + std::to_string(run_id) +
                       "?view=summary&wait_ms=" + std::to_string(kPollMs);
    if (!out.json) path += "&after_attempt=" + std::to_string(after);
    const auto asked = std::chrono::steady_clock::now();
    json run;
    int rc = api.Get(path, &run);
    if (rc != kExitOk) return rc;
    if (!out.json && run.contains("stages")) {
      int64_t next_after = after;
      int64_t first_open = 0;
      for (const auto& s : run["stages"]) {
        const int64_t id = Int(s, "id");
        const std::string st = Str(s, "status");
        if (seen[id] != st) {
          seen[id] = st;
          std::cerr << "  " << Str(s, "stage") << " (attempt " << Str(s, "attempt") << "): " << st;
          if (Int(s, "finished_ms") > 0) {
            std::cerr << " in " << FormatDuration(Int(s, "started_ms"), Int(s, "finished_ms"));
          }
          if (!Str(s, "error").empty()) std::cerr << ": " << Str(s, "error");
          std::cerr << "\n";
        }
        next_after = std::max(next_after, id);
        if (st == "running" && first_open == 0) first_open = id;
      }
      after = first_open != 0 ? first_open - 1 : next_after;
      for (auto it = seen.begin(); it != seen.end() && it->first <= after;) it = seen.erase(it);
    }
    const std::string status = Str(run, "status");
    if (Terminal(status)) return ReportEnd(api, run_id, run, out);
    const auto now = std::chrono::steady_clock::now();
    if (timeout_s > 0 && now - start > std::chrono::duration<double>(timeout_s)) {
      std::cerr << "mlctl: run " << run_id << " still " << status << " after " << timeout_s
                << " s\n";
      return kExitRunFailed;
    }
    // A daemon that does not hold the poll (an older one) answers at once:
    // pace the polls here then, backing off up to kPollMs.
    if (now - asked < std::chrono::milliseconds(kPollMs / 5)) {
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 3 / 2 + std::chrono::milliseconds(1),
                       std::chrono::milliseconds(kPollMs));
    }
  }
}

int RunsList(const ApiClient& api, const RunListOptions& opts, const Output& out) {
  std::string path = "/api/v1/runs?limit=" + std::to_string(opts.limit);
  if (!opts.pipeline.empty()) path += "&pipeline=" + UrlEncode(opts.pipeline);
  if (!opts.status.empty()) path += "&status=" + UrlEncode(opts.status);
  if (opts.before > 0) path += "&before=" + std::to_string(opts.before);
  json resp;
  int rc = api.Get(path, &resp);
  if (rc != kExitOk) return rc;
  if (out.json) {
    std::cout << resp.dump(2) << "\n";
    return kExitOk;
  }
  Table t({"ID", "PIPELINE", "STATUS", "TRIGGER", "QUEUED", "DURATION", "REASON"});
  for (const auto& r : resp["runs"]) {
    t.Add({Str(r, "id"), Str(r, "pipeline"), Str(r, "status"), Str(r, "trigger"),
           FormatTime(Int(r, "queued_ms")), FormatDuration(Int(r, "started_ms"), Int(r, "finished_ms")),
           Str(r, "reason")});
  }
  t.Print(std::cout);
  if (resp.contains("next_before")) {
    std::cout << "(more: --before " << resp["next_before"].get<int64_t>() << ")\n";
  }
  return kExitOk;
}

int RunsShow(const ApiClient& api, int64_t id, const Output& out) {
  json run;
  int rc = api.Get("/api/v1/runs/" + std::to_string(id), &run);
  if (rc != kExitOk) return rc;
  if (out.json) {
    std::cout << run.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "run " << id << "  pipeline " << Str(run, "pipeline") << "  status "
            << Str(run, "status") << "\n"
            << "trigger: " << Str(run, "trigger") << "  reason: " << Str(run, "reason") << "\n";
  if (!Str(run, "commit").empty()) std::cout << "commit: " << Str(run, "commit") << "\n";
  std::cout << "queued: " << FormatTime(Int(run, "queued_ms"))
            << "  duration: " << FormatDuration(Int(run, "started_ms"), Int(run, "finished_ms")) << "\n";
  if (!Str(run, "error").empty()) std::cout << "error: " << Str(run, "error") << "\n";
  if (Int(run, "results_run_id") != 0) {
    const std::string results = Str(run, "results_run_id");
    std::cout << "up to date: nothing ran; the stages and artifacts of run " << results
              << " stand for this run (mlctl runs show " << results << ")\n";
    return kExitOk;
  }
  std::cout << "\n";
  Table t({"STAGE", "ATTEMPT", "STATUS", "PLUGIN", "EXIT", "DURATION", "CACHE", "OUTPUTS", "REASON"});
  for (const auto& s : run["stages"]) {
    std::string exit = Str(s, "exit_code");
    if (Int(s, "signal") != 0) exit = "signal " + Str(s, "signal");
    else if (exit == "-1") exit = "-";
    std::string outputs;
    for (const auto& e : s["artifacts"]) {
      if (Str(e, "kind") != "produced") continue;
      if (!outputs.empty()) outputs += ", ";
      outputs += Str(e, "name") + "@" + Str(e, "artifact").substr(0, 12);
    }
    t.Add({Str(s, "stage"), Str(s, "attempt"), Str(s, "status"),
           Str(s["plugin"], "name") + " " + Str(s["plugin"], "version"), exit,
           FormatDuration(Int(s, "started_ms"), Int(s, "finished_ms")),
           s.value("cache_hit", false) ? "hit" : "-", outputs.empty() ? "-" : outputs,
           Str(s, "error").empty() ? Str(s, "reason") : Str(s, "error")});
  }
  t.Print(std::cout);
  // One line per stage metric: its last value; a curve (several steps) is
  // summarised, `--json` has every point.
  bool header = false;
  for (const auto& s : run["stages"]) {
    std::vector<std::string> order;
    std::map<std::string, std::pair<const json*, int>> last;  // key -> (last point, count)
    for (const auto& m : s["metrics"]) {
      auto [it, fresh] = last.try_emplace(Str(m, "key"), &m, 0);
      if (fresh) order.push_back(it->first);
      it->second.first = &m;
      ++it->second.second;
    }
    for (const std::string& key : order) {
      if (!header) {
        std::cout << "\nmetrics (last value; --json for every step):\n";
        header = true;
      }
      const auto& [m, count] = last[key];
      std::cout << "  " << Str(s, "stage") << "." << key << " = " << Str(*m, "value");
      if (count > 1) std::cout << " (step " << Str(*m, "step") << ", " << count << " points)";
      std::cout << "\n";
    }
  }
  return kExitOk;
}

int RunsCancel(const ApiClient& api, int64_t id, const Output& out) {
  json resp;
  int rc = api.Post("/api/v1/runs/" + std::to_string(id) + "/cancel", json::object(), &resp);
  if (rc != kExitOk) return rc;
  if (out.json) std::cout << resp.dump() << "\n";
  else std::cout << "run " << id << ": cancel requested\n";
  return kExitOk;
}

}  // namespace mlops::ctl
