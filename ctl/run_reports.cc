#include "run_reports.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>

#include "json_fields.h"
#include "metrics/text_format.h"

namespace mlops::ctl {
namespace {

using nlohmann::json;

constexpr const char* kReplacement = "\xEF\xBF\xBD";

std::string Attr(const std::string& name, const std::string& value) {
  return " " + name + "=\"" + XmlEscape(value) + "\"";
}

std::string Seconds(int64_t from_ms, int64_t to_ms) {
  char buf[32];
  const double s = from_ms > 0 && to_ms >= from_ms ? (to_ms - from_ms) / 1000.0 : 0.0;
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}

std::string IsoTime(int64_t ms) {
  if (ms <= 0) return "";
  const time_t t = static_cast<time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

// The latest attempt of each stage, and the order stages were first tried.
struct StageAttempts {
  std::map<std::string, json> latest;
  std::map<std::string, std::vector<json>> all;
  std::vector<std::string> order;
};

StageAttempts GroupAttempts(const json& run) {
  StageAttempts g;
  if (!run.contains("stages") || !run["stages"].is_array()) return g;
  for (const json& a : run["stages"]) {
    const std::string stage = Str(a, "stage");
    if (!g.all.count(stage)) g.order.push_back(stage);
    g.all[stage].push_back(a);
    auto it = g.latest.find(stage);
    if (it == g.latest.end() || Int(a, "attempt") >= Int(it->second, "attempt")) g.latest[stage] = a;
  }
  return g;
}

struct SuiteCounts {
  int tests = 0, failures = 0, errors = 0, skipped = 0;
};

std::string StageCase(const std::string& classname, const std::string& stage,
                      const StageAttempts& g, const json& run, SuiteCounts* n) {
  ++n->tests;
  auto it = g.latest.find(stage);
  if (it == g.latest.end()) {
    ++n->skipped;
    std::string why = "not run";
    const std::string run_status = Str(run, "status");
    if (!run_status.empty()) why += ": the run ended " + run_status;
    if (!Str(run, "error").empty()) why += " (" + Str(run, "error") + ")";
    return "    <testcase" + Attr("name", stage) + Attr("classname", classname) +
           Attr("time", "0.000") + ">\n      <skipped" + Attr("message", why) + "/>\n    </testcase>\n";
  }
  const json& a = it->second;
  const std::string status = Str(a, "status");
  std::string out = "    <testcase" + Attr("name", stage) + Attr("classname", classname) +
                    Attr("time", Seconds(Int(a, "started_ms"), Int(a, "finished_ms"))) + ">\n";
  std::string detail = "attempt " + Str(a, "attempt") + ": " + status;
  if (!Str(a, "error").empty()) detail += ": " + Str(a, "error");
  if (Int(a, "exit_code") >= 0 && status != "cached") detail += "\nexit code " + Str(a, "exit_code");
  if (Int(a, "signal") > 0) detail += "\nsignal " + Str(a, "signal");
  if (!Str(a, "log_path").empty()) detail += "\nlog: " + Str(a, "log_path");
  const std::string message = Str(a, "error").empty() ? status : Str(a, "error");
  if (status == "failed" || status == "timed_out") {
    ++n->failures;
    out += "      <failure" + Attr("type", status) + Attr("message", message) + ">" +
           XmlEscape(detail) + "</failure>\n";
  } else if (status == "cancelled") {
    ++n->skipped;
    out += "      <skipped" + Attr("message", "cancelled") + "/>\n";
  } else if (status != "succeeded" && status != "cached") {
    ++n->errors;
    const std::string why = status == "running" ? "still running when the report was written"
                                                : status + ": the daemon stopped during the attempt";
    out += "      <error" + Attr("type", status) + Attr("message", why) + ">" + XmlEscape(detail) +
           "</error>\n";
  }
  std::string history;
  for (const json& each : g.all.at(stage)) {
    history += "attempt " + Str(each, "attempt") + ": " + Str(each, "status");
    if (!Str(each, "reason").empty()) history += " (" + Str(each, "reason") + ")";
    if (!Str(each, "error").empty()) history += ": " + Str(each, "error");
    history += "\n";
  }
  out += "      <system-out>" + XmlEscape(history) + "</system-out>\n";
  return out + "    </testcase>\n";
}

std::string Suite(const std::string& name, const std::string& timestamp, const SuiteCounts& n,
                  const std::string& time, const std::string& body) {
  return "  <testsuite" + Attr("name", name) + Attr("tests", std::to_string(n.tests)) +
         Attr("failures", std::to_string(n.failures)) + Attr("errors", std::to_string(n.errors)) +
         Attr("skipped", std::to_string(n.skipped)) + Attr("time", time) +
         (timestamp.empty() ? "" : Attr("timestamp", timestamp)) + ">\n" + body + "  </testsuite>\n";
}

std::string Labels(const std::vector<std::pair<std::string, std::string>>& labels) {
  std::string s = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) s += ",";
    s += labels[i].first + "=\"" + metrics::EscapeLabelValue(labels[i].second) + "\"";
  }
  return s + "}";
}

std::string Family(const std::string& name, const std::string& help) {
  return "# TYPE " + name + " gauge\n# HELP " + name + " " + metrics::EscapeHelp(help, true) + "\n";
}

bool DotenvValueOk(const std::string& v) {
  if (metrics::ValidUtf8(v) != v) return false;
  return std::none_of(v.begin(), v.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7F || c == '"' || c == '\'' || c == '\\' || c == '$' || c == '#';
  });
}

}  // namespace

std::string XmlEscape(const std::string& text) {
  const std::string valid = metrics::ValidUtf8(text);
  std::string out;
  out.reserve(valid.size());
  for (size_t i = 0; i < valid.size(); ++i) {
    const char c = valid[i];
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '&': out += "&amp;"; continue;
      case '<': out += "&lt;"; continue;
      case '>': out += "&gt;"; continue;
      case '"': out += "&quot;"; continue;
      case '\'': out += "&apos;"; continue;
      default: break;
    }
    if (u < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      out += kReplacement;
    } else if (u == 0xEF && i + 2 < valid.size() && static_cast<unsigned char>(valid[i + 1]) == 0xBF &&
               (static_cast<unsigned char>(valid[i + 2]) & 0xFE) == 0xBE) {
      out += kReplacement;  // U+FFFE and U+FFFF are not XML characters
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string JUnitXml(const json& run, const std::vector<std::string>& stages,
                     const std::vector<GateResult>& gates) {
  const std::string pipeline = Str(run, "pipeline");
  const StageAttempts g = GroupAttempts(run);
  std::vector<std::string> order = stages.empty() ? g.order : stages;
  for (const auto& s : g.order) {  // attempts of stages the definition no longer has
    if (std::find(order.begin(), order.end(), s) == order.end()) order.push_back(s);
  }
  const std::string run_time = Seconds(Int(run, "started_ms") > 0 ? Int(run, "started_ms")
                                                                  : Int(run, "queued_ms"),
                                       Int(run, "finished_ms"));
  const std::string timestamp = IsoTime(Int(run, "started_ms"));

  SuiteCounts stage_n;
  std::string body = "    <properties>\n";
  for (const char* key : {"id", "pipeline", "status", "commit", "trigger", "reason"}) {
    body += "      <property" + Attr("name", std::string("run.") + key) +
            Attr("value", Str(run, key)) + "/>\n";
  }
  body += "    </properties>\n";
  for (const auto& stage : order) body += StageCase(pipeline + ".stages", stage, g, run, &stage_n);
  std::string suites = Suite(pipeline + ".stages", timestamp, stage_n, run_time, body);

  SuiteCounts gate_n;
  if (!gates.empty()) {
    std::string gate_body;
    for (const GateResult& gate : gates) {
      ++gate_n.tests;
      gate_body += "    <testcase" + Attr("name", gate.name) + Attr("classname", pipeline + ".gates") +
                   Attr("time", "0.000");
      if (gate.passed) {
        gate_body += "/>\n";
      } else {
        ++gate_n.failures;
        gate_body += ">\n      <failure" + Attr("type", "gate") + Attr("message", gate.message) +
                     ">" + XmlEscape(gate.message) + "</failure>\n    </testcase>\n";
      }
    }
    suites += Suite(pipeline + ".gates", timestamp, gate_n, "0.000", gate_body);
  }

  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites" +
         Attr("name", "mlopsd run " + Str(run, "id") + " of " + pipeline) +
         Attr("tests", std::to_string(stage_n.tests + gate_n.tests)) +
         Attr("failures", std::to_string(stage_n.failures + gate_n.failures)) +
         Attr("errors", std::to_string(stage_n.errors)) + Attr("time", run_time) + ">\n" +
         suites + "</testsuites>\n";
}

std::string OpenMetricsText(const json& run) {
  const std::string pipeline = Str(run, "pipeline");
  const StageAttempts g = GroupAttempts(run);
  std::string out;
  const int64_t start = Int(run, "started_ms") > 0 ? Int(run, "started_ms") : Int(run, "queued_ms");
  out += Family("mlops_run_duration_seconds", "Seconds from the run's start to its end.");
  out += "mlops_run_duration_seconds" + Labels({{"pipeline", pipeline}}) + " " +
         Seconds(start, Int(run, "finished_ms")) + "\n";
  out += Family("mlops_run_succeeded", "1 when the run succeeded, 0 otherwise.");
  out += "mlops_run_succeeded" + Labels({{"pipeline", pipeline}}) + " " +
         (Str(run, "status") == "succeeded" ? "1" : "0") + "\n";
  out += Family("mlops_stage_duration_seconds", "Seconds the stage's latest attempt ran.");
  for (const auto& stage : g.order) {
    const json& a = g.latest.at(stage);
    out += "mlops_stage_duration_seconds" + Labels({{"pipeline", pipeline}, {"stage", stage}}) +
           " " + Seconds(Int(a, "started_ms"), Int(a, "finished_ms")) + "\n";
  }
  out += Family("mlops_stage_metric",
                "Metrics the stage's latest attempt recorded, each at its highest step.");
  for (const auto& stage : g.order) {
    const json& a = g.latest.at(stage);
    if (!a.contains("metrics") || !a["metrics"].is_array()) continue;
    std::map<std::string, std::pair<int64_t, double>> last;  // key -> (step, value)
    for (const json& m : a["metrics"]) {
      if (!m.contains("value") || !m["value"].is_number()) continue;
      const std::string key = Str(m, "key");
      const int64_t step = Int(m, "step");
      auto it = last.find(key);
      if (it == last.end() || step >= it->second.first) last[key] = {step, m["value"].get<double>()};
    }
    for (const auto& [key, sv] : last) {
      out += "mlops_stage_metric" +
             Labels({{"pipeline", pipeline}, {"stage", stage}, {"metric", key}}) + " " +
             metrics::FormatValue(sv.second) + "\n";
    }
  }
  return out + "# EOF\n";
}

bool DotenvText(const DotenvFields& f, std::string* out, std::string* error) {
  const std::pair<const char*, const std::string*> vars[] = {{"RUN_ID", &f.run_id},
                                                             {"RUN_STATUS", &f.run_status},
                                                             {"MODEL_NAME", &f.model_name},
                                                             {"MODEL_VERSION", &f.model_version}};
  std::string text;
  for (const auto& [key, value] : vars) {
    if (!DotenvValueOk(*value)) {
      *error = std::string(key) + " cannot be written to a dotenv file: its value holds "
               "whitespace, a quote, '$', '#', '\\', a control character or invalid UTF-8";
      return false;
    }
    // The model's variables are left out when the run registered none: an
    // empty MODEL_NAME would pass as a name to the next job.
    if (value->empty() && (value == &f.model_name || value == &f.model_version)) continue;
    text += std::string(key) + "=" + *value + "\n";
  }
  if (text.size() > kDotenvMaxBytes) {
    *error = "the dotenv text is " + std::to_string(text.size()) + " bytes; GitLab takes at most " +
             std::to_string(kDotenvMaxBytes);
    return false;
  }
  *out = std::move(text);
  return true;
}

}  // namespace mlops::ctl
