#include "lineage_dot.h"

#include <set>

#include "json_fields.h"

namespace mlops::ctl {
namespace {

// A DOT quoted string: backslashes and quotes escaped, newlines as \n,
// other control bytes dropped.
std::string Quote(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      q += '\\';
      q += c;
    } else if (c == '\n') {
      q += "\\n";
    } else if (static_cast<unsigned char>(c) >= 0x20) {
      q += c;
    }
  }
  return q + "\"";
}

std::string ArtifactNode(const std::string& sha) { return Quote("artifact:" + sha); }
std::string AttemptNode(int64_t id) { return Quote("attempt:" + std::to_string(id)); }

}  // namespace

std::string LineageDot(const nlohmann::json& graph, const std::string& root) {
  std::string dot = "digraph lineage {\n  rankdir=LR;\n  node [fontname=\"sans-serif\"];\n";
  for (const auto& a : graph.value("attempts", nlohmann::json::array())) {
    std::string label = "run " + Str(a, "run_id") + ": " + Str(a, "stage");
    if (Int(a, "attempt") > 1) label += " (attempt " + Str(a, "attempt") + ")";
    if (a.contains("plugin")) label += "\n" + Str(a["plugin"], "name");
    dot += "  " + AttemptNode(Int(a, "id")) + " [shape=box, label=" + Quote(label) + "];\n";
  }
  std::set<std::string> artifacts;
  for (const auto& e : graph.value("edges", nlohmann::json::array())) {
    const std::string sha = Str(e, "artifact");
    if (artifacts.insert(sha).second) {
      const std::string label = Str(e, "name") + "\n" + sha.substr(0, 12);
      dot += "  " + ArtifactNode(sha) + " [shape=ellipse, label=" + Quote(label) +
             (sha == root ? ", style=bold" : "") + "];\n";
    }
    const std::string attempt = AttemptNode(Int(e, "attempt_id"));
    if (Str(e, "kind") == "consumed") dot += "  " + ArtifactNode(sha) + " -> " + attempt + ";\n";
    else dot += "  " + attempt + " -> " + ArtifactNode(sha) + ";\n";
  }
  for (const auto& dv : graph.value("data_versions", nlohmann::json::array())) {
    const std::string node = Quote("data:" + Str(dv, "id"));
    dot += "  " + node + " [shape=cylinder, label=" +
           Quote(Str(dv, "path") + "\n" + Str(dv, "sha256").substr(0, 12)) + "];\n";
    for (const auto& a : graph.value("attempts", nlohmann::json::array())) {
      if (Int(a, "run_id") == Int(dv, "run_id")) dot += "  " + node + " -> " + AttemptNode(Int(a, "id")) + ";\n";
    }
  }
  return dot + "}\n";
}

}  // namespace mlops::ctl
