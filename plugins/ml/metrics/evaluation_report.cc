#include "metrics/evaluation_report.h"

#include <algorithm>

namespace mlops::ml::metrics {

using nlohmann::json;

bool EvaluationReport::passed() const {
  return std::all_of(gates.begin(), gates.end(), [](const GateResult& g) { return g.passed; });
}

json ToJson(const MetricSet& metrics) {
  json values = json::object();
  for (const auto& [name, value] : metrics.values()) values[name] = value;
  json out = {{"values", std::move(values)}};
  if (!metrics.undefined().empty()) {
    json undefined = json::object();
    for (const auto& [name, reason] : metrics.undefined()) undefined[name] = reason;
    out["undefined"] = std::move(undefined);
  }
  if (!metrics.warnings().empty()) out["warnings"] = metrics.warnings();
  return out;
}

json ToJson(const EvaluationReport& r) {
  json j = {{"version", kEvaluationReportVersion},
            {"passed", r.passed()},
            {"model", r.model_path},
            {"task", r.task},
            {"data", {{"path", r.data_path}, {"sha256", r.data_sha256}}},
            {"sizes",
             {{"train", r.train_rows}, {"validation", r.validation_rows}, {"test", r.test_rows}}},
            {"metrics", ToJson(r.metrics)}};
  if (!r.classes.empty()) j["classes"] = r.classes;
  if (!r.confusion.empty()) j["confusion_matrix"] = r.confusion;  // [true][predicted]
  json slices = json::array();
  for (const SliceMetrics& s : r.slices) {
    slices.push_back({{"column", s.column},
                      {"slice", s.label},
                      {"rows", s.rows},
                      {"metrics", ToJson(s.metrics)}});
  }
  j["slices"] = std::move(slices);
  if (r.cv) {
    json folds = json::array();
    for (const MetricSet& m : r.cv->per_fold) folds.push_back(ToJson(m));
    j["cross_validation"] = {
        {"folds", r.cv->folds}, {"metrics", ToJson(r.cv->metrics)}, {"per_fold", std::move(folds)}};
  }
  if (r.champion) {
    const ChampionComparison& c = *r.champion;
    j["champion"] = {
        {"present", c.present}, {"source", c.source}, {"path", c.path}, {"metric", c.metric}};
    if (c.present) j["champion"]["metrics"] = ToJson(c.metrics);
  }
  json gates = json::array();
  for (const GateResult& g : r.gates) {
    gates.push_back({{"gate", g.gate.name},
                     {"metric", g.gate.metric},
                     {"op", ToString(g.gate.op)},
                     {"threshold", g.gate.threshold},
                     {"value", g.value ? json(*g.value) : json(nullptr)},
                     {"passed", g.passed},
                     {"message", g.message}});
  }
  j["gates"] = std::move(gates);
  return j;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\n':
        out += "&#10;";
        break;
      case '\r':
        out += "&#13;";
        break;
      case '\t':
        out += "&#9;";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\xEF\xBF\xBD";  // U+FFFD
        } else {
          out += ch;
        }
    }
  }
  return out;
}

std::string ToJunitXml(const EvaluationReport& r, const std::string& suite_name) {
  size_t failures = 0;
  for (const GateResult& g : r.gates) failures += g.passed ? 0 : 1;
  const std::string counts = " tests=\"" + std::to_string(r.gates.size()) + "\" failures=\"" +
                             std::to_string(failures) + "\" errors=\"0\"";
  const std::string name = XmlEscape(suite_name);
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<testsuites name=\"" + name + "\"" + counts + ">\n";
  x += "  <testsuite name=\"" + name + "\"" + counts + " skipped=\"0\" time=\"0\">\n";
  x += "    <properties>\n";
  for (const auto& [metric, value] : r.metrics.values()) {
    x += "      <property name=\"" + XmlEscape(metric) + "\" value=\"" +
         XmlEscape(FormatValue(value)) + "\"/>\n";
  }
  x += "    </properties>\n";
  for (const GateResult& g : r.gates) {
    x += "    <testcase classname=\"" + name + ".gates\" name=\"" + XmlEscape(g.gate.name) +
         "\" time=\"0\"";
    if (g.passed) {
      x += "/>\n";
      continue;
    }
    x += ">\n      <failure type=\"gate\" message=\"" + XmlEscape(g.message) + "\">" +
         XmlEscape(g.message) + "</failure>\n    </testcase>\n";
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

}  // namespace mlops::ml::metrics
