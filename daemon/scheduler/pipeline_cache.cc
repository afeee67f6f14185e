#include "scheduler/pipeline_cache.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "pipeline/pipeline_parser.h"

namespace mlops::scheduler {

std::string StageParams(const pipeline::Stage& s) {
  nlohmann::json p = nlohmann::json::parse(s.with_json, nullptr, /*allow_exceptions=*/false);
  if (!p.is_object()) p = nlohmann::json::object();
  // The parser already split `run` (or wrapped it in /bin/sh -c when the
  // pipeline asked for a shell): the plugin receives the argv it validated.
  if (!s.argv.empty()) p["argv"] = s.argv;
  else if (!s.run.empty()) p["run"] = s.run;
  if (!s.env.empty()) p["env"] = s.env;
  if (!s.outputs.empty()) p["outputs"] = s.outputs;
  return p.dump();
}

namespace {

std::shared_ptr<const PreparedPipeline> Prepare(const registry::PipelineRecord& rec) {
  auto out = std::make_shared<PreparedPipeline>();
  pipeline::ParseOptions opts;
  opts.file_name = rec.name + ".yaml";
  std::vector<pipeline::PipelineError> errors;
  if (!pipeline::ParsePipeline(rec.definition, opts, &out->pipeline, &errors)) {
    out->error = "invalid pipeline: " + (errors.empty() ? std::string("?") : errors[0].ToString());
    return out;
  }
  for (const pipeline::Stage& s : out->pipeline.stages) {
    out->params.push_back(StageParams(s));
    out->plugins.push_back(s.uses);
    out->inputs.insert(out->inputs.end(), s.inputs.begin(), s.inputs.end());
  }
  for (auto* v : {&out->plugins, &out->inputs}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  return out;
}

}  // namespace

std::shared_ptr<const PreparedPipeline> PipelineCache::Get(const registry::PipelineRecord& rec) const {
  Key key{rec.name, rec.definition_sha256};
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->first == key) {
        entries_.splice(entries_.begin(), entries_, it);
        return entries_.front().second;
      }
    }
  }
  // Parse outside the lock; two threads may parse the same definition once
  // each, which is harmless.
  std::shared_ptr<const PreparedPipeline> prepared = Prepare(rec);
  std::lock_guard<std::mutex> lock(mu_);
  ++parses_;
  entries_.emplace_front(std::move(key), prepared);
  while (entries_.size() > capacity_) entries_.pop_back();
  return prepared;
}

int PipelineCache::parses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return parses_;
}

}  // namespace mlops::scheduler
