#include "commands_serve_log.h"

#include <iostream>
#include <memory>

#include "exit_codes.h"
#include "http_client.h"
#include "json_fields.h"
#include "table.h"

namespace mlops::ctl {
namespace {

// What a row was answered: the class (with its probability) or the value.
std::string Answer(const nlohmann::json& output) {
  if (output.contains("value")) return output["value"].dump();
  std::string s = Str(output, "class");
  double best = 0;
  if (output.contains("probabilities"))
    for (const auto& p : output["probabilities"])
      if (p.is_number()) best = std::max(best, p.get<double>());
  char buf[32];
  std::snprintf(buf, sizeof buf, " (%.3f)", best);
  return s + buf;
}

}  // namespace

int ServeLog(const ApiClient& api, const ServeLogOptions& o, const Output& out) {
  std::string path = "/api/v1/serving/predictions/" + UrlEncode(o.model) +
                     "?limit=" + std::to_string(o.limit);
  if (!o.since.empty()) path += "&since=" + UrlEncode(o.since);
  if (o.version > 0) path += "&version=" + std::to_string(o.version);
  if (!o.after.empty()) path += "&after=" + UrlEncode(o.after);
  nlohmann::json resp;
  int rc = api.Get(path, &resp);
  if (rc != kExitOk) return rc;
  if (resp.contains("next_cursor") && resp["next_cursor"].is_string())
    std::cerr << "mlctl: more records follow: add --after " << resp["next_cursor"].get<std::string>()
              << "\n";
  if (Int(resp, "skipped_lines") > 0)
    std::cerr << "mlctl: " << Int(resp, "skipped_lines")
              << " damaged lines of the log were skipped\n";
  if (out.json) {
    std::cout << resp.dump(2) << "\n";
    return kExitOk;
  }
  const auto& records = resp["records"];
  if (records.empty()) {
    std::cout << "no predictions of " << o.model << " logged since "
              << FormatTime(Int(resp, "since_ms")) << "\n";
  } else {
    Table t({"TIME", "VERSION", "PROTOCOL", "ID", "ROWS", "ANSWER (first row)"});
    for (const auto& r : records) {
      const auto& outputs = r["outputs"];
      std::string answer = outputs.empty() ? "-" : Answer(outputs[0]);
      t.Add({FormatTime(Int(r, "time_ms")), std::to_string(Int(r, "version")), Str(r, "protocol"),
             r.contains("id") ? Str(r, "id") : "-", std::to_string(outputs.size()), answer});
    }
    t.Print(std::cout);
  }
  return kExitOk;
}

void AddServeLogCommand(CLI::App& app, const std::function<ApiClient()>& api, const Output& out,
                        int* rc) {
  CLI::App* serve = nullptr;
  try {
    serve = app.get_subcommand("serve");
  } catch (const CLI::OptionNotFound&) {
    serve = app.add_subcommand("serve", "mlops-serve: the models answering requests");
    serve->require_subcommand(1);
  }
  auto o = std::make_shared<ServeLogOptions>();
  auto* log = serve->add_subcommand("log", "predictions logged of a model's requests, oldest first");
  log->add_option("name", o->model, "model name")->required();
  log->add_option("--since", o->since,
                  "a duration back from now (30m, 2h, 7d), a UTC time (2026-12-07T15:00:00Z) "
                  "or epoch milliseconds; default 1h");
  log->add_option("--limit", o->limit, "at most this many requests")->check(CLI::Range(1, 10000));
  log->add_option("--version", o->version, "only those a version answered")
      ->check(CLI::PositiveNumber);
  log->add_option("--after", o->after, "continue after a previous answer (its cursor)");
  log->callback([=, &out] { *rc = ServeLog(api(), *o, out); });
}

}  // namespace mlops::ctl
