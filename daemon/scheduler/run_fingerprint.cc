#include "scheduler/run_fingerprint.h"

#include <nlohmann/json.hpp>

#include "mlops/common/files.h"
#include "mlops/common/sha256.h"

namespace mlops::scheduler {

RunInputs ComputeRunInputs(const PreparedPipeline& prepared, const registry::PipelineRecord& rec,
                           const std::string& source_dir, const std::string& commit,
                           PluginResolver* plugins, Workspace* workspace) {
  RunInputs out;
  nlohmann::json plugin_list = nlohmann::json::array();
  for (const std::string& name : prepared.plugins) {
    PluginRef ref;
    if (!plugins->Resolve(name, &ref).ok()) return RunInputs{};
    plugin_list.push_back({ref.name, ref.version, ref.sha256});
  }
  nlohmann::json input_list = nlohmann::json::array();
  for (const std::string& in : prepared.inputs) {
    const bool absolute = !in.empty() && in.front() == '/';
    std::string digest;
    if (absolute || !source_dir.empty()) {
      Status s = workspace->Digest(absolute ? in : JoinPath(source_dir, in), &digest);
      // A relative input missing from the source is made by a stage; an
      // absolute one missing, or any input unreadable, makes the run's
      // results undecidable up front.
      if (!s.ok() && !(s.IsNotFound() && !absolute)) return RunInputs{};
    }
    out.files[in] = digest;
    input_list.push_back({in, digest});
  }
  nlohmann::json j = {{"v", 1},
                      {"pipeline", rec.name},
                      {"definition", rec.definition_sha256},
                      {"source", source_dir},
                      {"commit", commit},
                      {"plugins", std::move(plugin_list)},
                      {"inputs", std::move(input_list)}};
  out.fingerprint = Sha256Hex(j.dump());
  return out;
}

}  // namespace mlops::scheduler
