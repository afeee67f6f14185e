// JSON forms of registry records, as the API returns them.
#pragma once

#include <nlohmann/json.hpp>

#include "mlops/registry/records.h"

namespace mlops::api {

nlohmann::json ToJson(const registry::PipelineRecord& p, bool with_definition);
nlohmann::json ToJson(const registry::RunRecord& r);
nlohmann::json ToJson(const registry::StageAttemptRecord& a);
nlohmann::json ToJson(const registry::ArtifactRecord& a);
nlohmann::json ToJson(const registry::ArtifactEdge& e);
nlohmann::json ToJson(const registry::MetricRecord& m);
nlohmann::json ToJson(const registry::LineageGraph& g);

}  // namespace mlops::api
