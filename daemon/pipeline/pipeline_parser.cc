#include "pipeline/pipeline_parser.h"

#include <algorithm>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "mlops/common/files.h"
#include "pipeline/canary_policy_reader.h"
#include "pipeline/drift_policy_reader.h"
#include "pipeline/stage_graph.h"
#include "pipeline/stage_reader.h"
#include "pipeline/yaml_reader.h"
#include "pipeline/yaml_scalar.h"

namespace mlops::pipeline {

namespace {

using internal::MapEntry;
using internal::StageSource;
using internal::YamlReader;

constexpr int kFormatVersion = 1;

const std::vector<std::string_view> kTopKeys = {"version", "name", "on", "stages", "model"};
const std::vector<std::string_view> kOnKeys = {"git", "data", "drift"};
const std::vector<std::string_view> kModelKeys = {"name", "artifact", "promote"};
const std::vector<std::string_view> kPromoteKeys = {"staging", "production", "canary"};

// A parse error of yaml-cpp. Its message for a tab in indentation
// ("illegal map value", "illegal block entry") does not say so: look first.
void ReportSyntaxError(YamlReader& r, const std::string& text, const YAML::Mark& mark,
                       const std::string& message) {
  std::vector<size_t> line_starts = {0};
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') line_starts.push_back(i + 1);
  }
  for (int line = mark.line; line >= 0 && line >= mark.line - 1; --line) {
    if (static_cast<size_t>(line) >= line_starts.size()) continue;
    const size_t start = line_starts[line];
    const size_t content = std::min(text.find_first_not_of(" \t", start), text.size());
    if (content == text.size() || text[content] == '\n' || text[content] == '\r') continue;
    for (size_t i = start; i < content; ++i) {
      if (text[i] == '\t') {
        r.Error(SourcePos{line + 1, static_cast<int>(i - start) + 1},
                "tab character in indentation: YAML indents with spaces only");
        return;
      }
    }
  }
  const SourcePos pos = mark.line < 0 ? SourcePos{} : SourcePos{mark.line + 1, mark.column + 1};
  r.Error(pos, "YAML syntax error: " + message);
}

// yaml-cpp 0.7 takes a quoted scalar left open at the end of the file as
// ending there. Such a scalar is the document's last one: check its quote.
// Returns the position of the open quote, or line 0 when all is well.
// (YAML::Node's operator= writes through to the node it refers to: rebind
// with reset() instead.)
SourcePos CheckLastScalarClosed(YamlReader& r, const std::string& text, const YAML::Node& root) {
  YAML::Node node;
  node.reset(root);
  for (int depth = 0; depth < 1000; ++depth) {  // a recursive alias has no last node
    if (node.IsMap() && node.size() > 0) {
      YAML::const_iterator last = node.begin();
      for (auto it = node.begin(); it != node.end(); ++it) last = it;
      node.reset(last->second.IsNull() ? last->first : last->second);
    } else if (node.IsSequence() && node.size() > 0) {
      YAML::const_iterator last = node.begin();
      for (auto it = node.begin(); it != node.end(); ++it) last = it;
      node.reset(*last);
    } else {
      break;
    }
  }
  if (!node.IsScalar() || node.Mark().pos < 0) return SourcePos{};
  const size_t open = static_cast<size_t>(node.Mark().pos);
  if (open >= text.size() || (text[open] != '"' && text[open] != '\'')) return SourcePos{};
  const char quote = text[open];
  for (size_t i = open + 1; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;
    } else if (text[i] == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;
      } else {
        return SourcePos{};
      }
    }
  }
  r.Error(node, std::string("unterminated quoted string: no closing ") + quote +
                    " before the end of the file");
  return YamlReader::Pos(node);
}

// Reads the top level of a pipeline and checks the stages against each
// other; every error goes to the reader.
class PipelineReader {
 public:
  PipelineReader(YamlReader* r, const ParseOptions& options) : r_(*r), options_(options) {}

  void Read(const YAML::Node& root, Pipeline* p);

 private:
  void ReadVersion(const MapEntry& e, Pipeline* p);
  void ReadOn(const MapEntry& e, Triggers* on);
  void ReadStages(const MapEntry& e, Pipeline* p);
  void ReadModel(const MapEntry& e, ModelSpec* model);
  void CheckNeeds(Pipeline* p);
  void CheckOutputs(const Pipeline& p);
  void CheckArtifact(const Pipeline& p);

  YamlReader& r_;
  const ParseOptions& options_;
  std::vector<StageSource> sources_;                  // parallel to Pipeline::stages
  std::unordered_map<std::string, int> stage_index_;  // first stage of each name
  SourcePos artifact_pos_;
};

void PipelineReader::Read(const YAML::Node& root, Pipeline* p) {
  // A newer format may have keys this one does not know: refuse it alone.
  for (const auto& kv : root) {
    int64_t version = 0;
    if (kv.first.IsScalar() && kv.first.Scalar() == "version" && kv.second.IsScalar() &&
        internal::ResolveScalar(kv.second) == internal::ScalarType::kInt &&
        internal::ParseCoreInt(kv.second.Scalar(), &version) && version > kFormatVersion) {
      r_.Error(kv.second, "pipeline format version " + std::to_string(version) +
                              " is newer than this mlopsd supports (" +
                              std::to_string(kFormatVersion) + ")");
      return;
    }
  }
  const std::vector<MapEntry> entries = r_.Entries(root, kTopKeys, "at top level");
  for (const MapEntry& e : entries) {
    if (e.key == "version") {
      ReadVersion(e, p);
    } else if (e.key == "name") {
      if (r_.ReadString(e, "'name'", &p->name) && !internal::IsValidName(p->name)) {
        r_.Error(YamlReader::ValuePos(e), internal::InvalidNameMessage("pipeline", p->name));
      }
    } else if (e.key == "on") {
      ReadOn(e, &p->on);
    } else if (e.key == "stages") {
      ReadStages(e, p);
    } else if (e.key == "model") {
      ReadModel(e, &p->model.emplace());
    }
  }
  for (std::string_view required : {"version", "name", "stages"}) {
    if (std::none_of(entries.begin(), entries.end(),
                     [&](const MapEntry& e) { return e.key == required; })) {
      r_.Error(root, "missing required key '" + std::string(required) + "' at top level");
    }
  }
  CheckNeeds(p);
  CheckOutputs(*p);
  if (p->model) CheckArtifact(*p);
}

void PipelineReader::ReadVersion(const MapEntry& e, Pipeline* p) {
  int64_t version = 0;
  if (!e.value.IsScalar() || internal::ResolveScalar(e.value) != internal::ScalarType::kInt ||
      !internal::ParseCoreInt(e.value.Scalar(), &version)) {
    r_.TypeError(e, "'version'", "the integer " + std::to_string(kFormatVersion));
    return;
  }
  if (version < kFormatVersion) {
    r_.Error(e.value, "unknown pipeline format version " + std::to_string(version) +
                          " (this mlopsd supports " + std::to_string(kFormatVersion) + ")");
    return;
  }
  p->version = static_cast<int>(version);
}

void PipelineReader::ReadOn(const MapEntry& e, Triggers* on) {
  if (!r_.ReadMap(e, "'on'")) return;
  for (const MapEntry& t : r_.Entries(e.value, kOnKeys, "in 'on'")) {
    const std::string what = "'on." + t.key + "'";
    if (t.key == "data") {
      r_.ReadStringList(t, what, &on->data_paths);
      continue;
    }
    if (t.key == "drift") {
      DriftPolicy policy;
      if (!internal::ReadDriftPolicy(r_, t, &policy)) continue;
      if (!options_.accept_drift_policy) {
        r_.Error(t.key_node,
                 "'on.drift': drift policies are checked but not yet acted on (this mlopsd has "
                 "no drift monitor), so this one would protect nothing; remove 'on.drift' "
                 "(docs/pipeline-format.md, \"Drift policy\")");
        continue;
      }
      on->drift = std::move(policy);
      continue;
    }
    if (!r_.ReadMap(t, what)) continue;
    const std::vector<MapEntry> inner = r_.Entries(t.value, {"branches"}, "in " + what);
    for (const MapEntry& i : inner) {
      const std::string inner_what = "'on." + t.key + "." + i.key + "'";
      if (r_.ReadStringList(i, inner_what, &on->git_branches) && on->git_branches.empty()) {
        r_.Error(YamlReader::ValuePos(i), inner_what + ": expected at least one branch");
      }
    }
    if (inner.empty()) {
      r_.Error(YamlReader::ValuePos(t), "missing required key 'branches' in " + what);
    }
  }
}

void PipelineReader::ReadStages(const MapEntry& e, Pipeline* p) {
  if (!e.value.IsSequence()) {
    r_.TypeError(e, "'stages'", "a list of stages");
    return;
  }
  if (e.value.size() == 0) {
    r_.Error(YamlReader::ValuePos(e), "'stages': expected at least one stage");
    return;
  }
  p->stages.resize(e.value.size());
  sources_.resize(e.value.size());
  int i = 0;
  for (const YAML::Node& node : e.value) {
    internal::ReadStage(r_, node, i, options_, &p->stages[i], &sources_[i]);
    ++i;
  }
}

void PipelineReader::ReadModel(const MapEntry& e, ModelSpec* model) {
  if (!r_.ReadMap(e, "'model'")) return;
  const std::vector<MapEntry> entries = r_.Entries(e.value, kModelKeys, "in 'model'");
  SourcePos canary_pos;
  for (const MapEntry& m : entries) {
    const std::string what = "'model." + m.key + "'";
    if (m.key == "name") {
      if (r_.ReadString(m, what, &model->name) && !internal::IsValidName(model->name)) {
        r_.Error(YamlReader::ValuePos(m), internal::InvalidNameMessage("model", model->name));
      }
    } else if (m.key == "artifact") {
      if (r_.ReadString(m, what, &model->artifact)) artifact_pos_ = YamlReader::ValuePos(m);
    } else if (m.key == "promote" && r_.ReadMap(m, what)) {
      for (const MapEntry& step : r_.Entries(m.value, kPromoteKeys, "in " + what)) {
        const std::string step_what = "'model.promote." + step.key + "'";
        if (step.key == "canary") {
          internal::ReadCanaryPolicy(r_, step, &model->canary.emplace());
          canary_pos = YamlReader::ValuePos(step);
          continue;
        }
        std::string policy;
        if (!r_.ReadString(step, step_what, &policy)) continue;
        // `approval` (production only): an operator or admin asks, another
        // admin approves (docs/models.md).
        const bool approval = step.key == "production" && policy == "approval";
        if (policy != "on_gates" && policy != "manual" && policy != "never" && !approval) {
          r_.Error(YamlReader::ValuePos(step),
                   step_what + ": expected on_gates, manual or never" +
                       (step.key == "production" ? std::string(" (or approval)") : std::string()) +
                       ", got '" + policy + "'");
          continue;
        }
        (step.key == "staging" ? model->promote_staging : model->promote_production) = policy;
      }
    }
  }
  // A canary ends in production: `never` forbids that, and `auto` would
  // step around the second admin that `approval` asks for.
  if (model->canary && model->promote_production == "never") {
    r_.Error(canary_pos, "'model.promote.canary': production is never promoted to "
                         "('model.promote.production: never'), so a canary cannot end");
  } else if (model->canary && model->canary->promote == "auto" &&
             model->promote_production == "approval") {
    r_.Error(canary_pos, "'model.promote.canary.promote: auto' would promote without the "
                         "approval that 'model.promote.production: approval' asks for; use manual");
  }
  for (std::string_view required : {"name", "artifact"}) {
    if (std::none_of(entries.begin(), entries.end(),
                     [&](const MapEntry& m) { return m.key == required; })) {
      r_.Error(YamlReader::ValuePos(e),
               "missing required key '" + std::string(required) + "' in 'model'");
    }
  }
}

// Unique names, then `needs`: a self-need, a repeated or unknown name is
// reported and dropped, so that the cycle search sees only real edges.
void PipelineReader::CheckNeeds(Pipeline* p) {
  for (size_t i = 0; i < p->stages.size(); ++i) {
    const Stage& stage = p->stages[i];
    if (stage.name.empty()) continue;
    const auto [it, inserted] = stage_index_.emplace(stage.name, static_cast<int>(i));
    if (!inserted) {
      r_.Error(sources_[i].name_pos, "duplicate stage name '" + stage.name +
                                         "'; first defined at line " +
                                         std::to_string(sources_[it->second].name_pos.line));
    }
  }
  for (size_t i = 0; i < p->stages.size(); ++i) {
    Stage& stage = p->stages[i];
    const StageSource& source = sources_[i];
    std::vector<std::string> kept;
    std::unordered_set<std::string> seen;
    for (size_t j = 0; j < stage.needs.size(); ++j) {
      const std::string& need = stage.needs[j];
      const SourcePos pos = source.needs_pos[j];
      if (need == stage.name) {
        r_.Error(pos, source.label + " needs itself");
      } else if (!seen.insert(need).second) {
        r_.Error(pos, source.label + " needs '" + need + "' twice");
      } else if (!stage_index_.count(need)) {
        r_.Error(pos, source.label + " needs unknown stage '" + need + "'");
      } else {
        kept.push_back(need);
      }
    }
    stage.needs = std::move(kept);
  }
  for (const std::vector<std::string>& cycle : FindCycles(*p)) {
    std::string path;
    for (const std::string& name : cycle) path += (path.empty() ? "" : " -> ") + name;
    r_.Error(p->stages[stage_index_.at(cycle.front())].pos,
             "dependency cycle: " + path + " (each stage needs the next)");
  }
}

// Two stages writing one path would race when run in parallel.
void PipelineReader::CheckOutputs(const Pipeline& p) {
  std::unordered_map<std::string, std::pair<int, int>> writer;  // path -> stage, line
  for (size_t i = 0; i < p.stages.size(); ++i) {
    const Stage& stage = p.stages[i];
    for (size_t j = 0; j < stage.outputs.size(); ++j) {
      std::string path;  // "./a//b" and "a/b" are one path
      for (size_t start = 0; start <= stage.outputs[j].size();) {
        size_t end = std::min(stage.outputs[j].find('/', start), stage.outputs[j].size());
        const std::string part = stage.outputs[j].substr(start, end - start);
        if (!part.empty() && part != ".") path += (path.empty() ? "" : "/") + part;
        start = end + 1;
      }
      const SourcePos pos = sources_[i].outputs_pos[j];
      const auto [it, inserted] = writer.emplace(path, std::make_pair(int(i), pos.line));
      if (inserted) continue;
      const std::string what = "output '" + stage.outputs[j] + "' of " + sources_[i].label;
      if (it->second.first == static_cast<int>(i)) {
        r_.Error(pos, what + " is listed twice");
      } else {
        r_.Error(pos, what + " is also an output of " + sources_[it->second.first].label +
                          " (line " + std::to_string(it->second.second) + ")");
      }
    }
  }
}

// "<stage>.<output>"; stage names may hold dots, so the longest stage name
// that prefixes the artifact wins.
void PipelineReader::CheckArtifact(const Pipeline& p) {
  const std::string& artifact = p.model->artifact;
  if (artifact.empty()) return;  // missing or refused already
  size_t best = 0;
  for (const Stage& stage : p.stages) {
    const std::string& name = stage.name;
    if (!name.empty() && artifact.size() > name.size() + 1 && artifact[name.size()] == '.' &&
        artifact.compare(0, name.size(), name) == 0) {
      best = std::max(best, name.size());
    }
  }
  if (best > 0) return;
  const size_t dot = artifact.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == artifact.size()) {
    r_.Error(artifact_pos_,
             "'model.artifact': expected '<stage>.<output>', got '" + artifact + "'");
  } else {
    r_.Error(artifact_pos_, "'model.artifact' names unknown stage '" + artifact.substr(0, dot) +
                                "' (in '" + artifact + "')");
  }
}

// Parses into *p. *cut is set to the position after which errors are noise
// (an unterminated string swallowed the rest of the file), if any.
void Parse(YamlReader& r, const std::string& text, const ParseOptions& options, Pipeline* p,
           SourcePos* cut) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    ReportSyntaxError(r, text, e.mark, e.msg);
    return;
  } catch (const YAML::Exception& e) {
    r.Error(SourcePos{e.mark.line + 1, e.mark.column + 1}, "YAML error: " + e.msg);
    return;
  }
  if (root.IsNull()) {
    const SourcePos pos = YamlReader::Pos(root).line > 0 ? YamlReader::Pos(root) : SourcePos{1, 1};
    r.Error(pos, "empty pipeline: expected a mapping with 'version', 'name' and 'stages'");
    return;
  }
  *cut = CheckLastScalarClosed(r, text, root);
  if (!root.IsMap()) {
    r.Error(root, "expected a mapping at top level, got " + YamlReader::Describe(root));
    return;
  }
  PipelineReader(&r, options).Read(root, p);
}

}  // namespace

std::string PipelineError::ToString() const {
  if (pos.line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) + ": " + message;
}

bool ParsePipeline(const std::string& yaml_text, const ParseOptions& options, Pipeline* out,
                   std::vector<PipelineError>* errors) {
  std::vector<PipelineError> found;
  YamlReader reader(options.file_name, &found);
  Pipeline pipeline;
  SourcePos cut;
  try {
    Parse(reader, yaml_text, options, &pipeline, &cut);
  } catch (const std::exception& e) {  // yaml-cpp or allocation: still a value
    reader.Error(SourcePos{}, std::string("cannot parse: ") + e.what());
  }
  if (found.empty()) {
    *out = std::move(pipeline);
    return true;
  }
  const auto before = [](const SourcePos& a, const SourcePos& b) {
    return std::make_pair(a.line, a.column) < std::make_pair(b.line, b.column);
  };
  std::stable_sort(found.begin(), found.end(), [&](const PipelineError& a, const PipelineError& b) {
    return before(a.pos, b.pos);
  });
  if (cut.line > 0) {  // keep the unterminated-string error, found first at `cut`
    const auto first_at_cut = std::find_if(
        found.begin(), found.end(), [&](const PipelineError& e) { return !before(e.pos, cut); });
    if (first_at_cut != found.end()) found.erase(first_at_cut + 1, found.end());
  }
  errors->insert(errors->end(), std::make_move_iterator(found.begin()),
                 std::make_move_iterator(found.end()));
  return false;
}

bool ParsePipelineFile(const std::string& path, ParseOptions options, Pipeline* out,
                       std::vector<PipelineError>* errors) {
  if (options.file_name == ParseOptions().file_name) options.file_name = path;
  std::string text;
  const Status status = ReadFile(path, &text);
  if (!status.ok()) {
    errors->push_back(PipelineError{options.file_name, SourcePos{},
                                    status.IsNotFound() ? "no such file" : status.message()});
    return false;
  }
  return ParsePipeline(text, options, out, errors);
}

}  // namespace mlops::pipeline
