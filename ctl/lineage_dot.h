// Lineage as a Graphviz digraph (`mlctl lineage --format dot`): artifacts
// and stage attempts are nodes, consumed/produced edges point the way data
// flowed, data versions feed the attempts of the runs they fed. Pure;
// thread-compatible.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace mlops::ctl {

// `graph` is the answer of GET /api/v1/lineage/SHA; `root` (the asked
// artifact) is drawn bold. Every label is escaped for DOT's quoted strings.
std::string LineageDot(const nlohmann::json& graph, const std::string& root);

}  // namespace mlops::ctl
