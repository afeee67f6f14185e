#include "pipeline/stage_reader.h"

#include <limits>
#include <optional>

#include "pipeline/command_line.h"
#include "pipeline/yaml_scalar.h"

namespace mlops::pipeline::internal {

namespace {

const std::vector<std::string_view> kStageKeys = {
    "name", "uses",   "needs",   "run",       "argv",    "shell",         "env",
    "with", "inputs", "outputs", "resources", "retries", "retry_backoff", "timeout"};
const std::vector<std::string_view> kResourceKeys = {"cpus", "gpus", "memory"};

constexpr int kMaxGpus = 1024;
constexpr int kMaxRetries = 100;

bool IsNameChar(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return !first && (c == '_' || c == '.' || c == '-');
}

bool IsEnvName(const std::string& name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    if (!IsNameChar(c, true) && c != '_') return false;
  }
  return true;
}

// The stage's label for messages, from its `name` when that is a scalar.
std::string StageLabel(const YAML::Node& node, int index) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      if (kv.first.IsScalar() && kv.first.Scalar() == "name" && kv.second.IsScalar() &&
          !kv.second.Scalar().empty()) {
        return "stage '" + kv.second.Scalar() + "'";
      }
    }
  }
  return "stage #" + std::to_string(index + 1);
}

// "512" (MB), "512M", "4G", "1T" -> megabytes. nullopt when malformed.
std::optional<int64_t> ParseMemoryMb(const YAML::Node& value) {
  if (!value.IsScalar()) return std::nullopt;
  std::string text = value.Scalar();
  int64_t unit = 1;
  const ScalarType type = ResolveScalar(value);
  if (type == ScalarType::kString && !text.empty()) {
    switch (text.back()) {
      case 'M':
        unit = 1;
        break;
      case 'G':
        unit = 1024;
        break;
      case 'T':
        unit = 1024 * 1024;
        break;
      default:
        return std::nullopt;
    }
    text.pop_back();
  } else if (type != ScalarType::kInt) {
    return std::nullopt;
  }
  if (text.empty() || text.size() > 15) return std::nullopt;
  int64_t mb = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    mb = mb * 10 + (c - '0');
  }
  if (mb <= 0) return std::nullopt;
  if (mb > std::numeric_limits<int64_t>::max() / unit) return std::nullopt;
  return mb * unit;
}

void ReadResources(YamlReader& r, const MapEntry& e, const std::string& label, Resources* out) {
  const std::string field = "'resources' of " + label;
  if (!r.ReadMap(e, field)) return;
  for (const MapEntry& res : r.Entries(e.value, kResourceKeys, "in " + field)) {
    const std::string what = "'resources." + res.key + "' of " + label;
    if (res.key == "cpus") {
      r.ReadPositiveNumber(res, what, &out->cpus);
    } else if (res.key == "gpus") {
      int64_t gpus = 0;
      if (r.ReadInt(res, what, 0, kMaxGpus, &gpus)) out->gpus = static_cast<int>(gpus);
    } else if (res.key == "memory") {
      if (const auto mb = ParseMemoryMb(res.value)) {
        out->memory_mb = *mb;
      } else {
        r.Error(YamlReader::ValuePos(res),
                what +
                    ": expected a size such as 512M, 4G or 1T, or a whole number of "
                    "megabytes, got " +
                    YamlReader::Describe(res.value));
      }
    }
  }
}

void ReadEnv(YamlReader& r, const MapEntry& e, const std::string& label,
             std::map<std::string, std::string>* env) {
  const std::string field = "'env' of " + label;
  if (!r.ReadMap(e, field)) return;
  for (const MapEntry& var : r.Entries(e.value, {}, "in " + field)) {
    if (!IsEnvName(var.key)) {
      r.Error(var.key_node, field + ": '" + var.key +
                                "' is not a variable name (letters, digits and '_', "
                                "not starting with a digit)");
      continue;
    }
    std::string value;
    if (r.ReadString(var, "'env." + var.key + "' of " + label, &value)) (*env)[var.key] = value;
  }
}

void CheckOutputs(YamlReader& r, const std::string& label, const Stage& stage,
                  const StageSource& source) {
  for (size_t i = 0; i < stage.outputs.size(); ++i) {
    const std::string& path = stage.outputs[i];
    const std::string what = "output '" + path + "' of " + label;
    if (path[0] == '/') {
      r.Error(source.outputs_pos[i], what + " must be a path relative to the workspace");
      continue;
    }
    for (size_t start = 0; start <= path.size();) {
      size_t end = path.find('/', start);
      if (end == std::string::npos) end = path.size();
      if (path.compare(start, end - start, "..") == 0) {
        r.Error(source.outputs_pos[i], what + " must not contain '..'");
        break;
      }
      start = end + 1;
    }
  }
}

}  // namespace

bool IsValidName(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0)) return false;
  }
  return true;
}

std::string InvalidNameMessage(const std::string& kind, const std::string& name) {
  return "invalid " + kind + " name '" + name +
         "': expected letters, digits, '_', '.' or '-', starting with a letter or digit, "
         "at most 128 characters";
}

void ReadStage(YamlReader& r, const YAML::Node& node, int index, const ParseOptions& options,
               Stage* stage, StageSource* source) {
  const std::string label = StageLabel(node, index);
  source->label = label;
  stage->pos = YamlReader::Pos(node);
  if (!node.IsMap()) {
    r.Error(node, label + ": expected a mapping, got " + YamlReader::Describe(node));
    return;
  }
  // Present keys, even when their value was refused: no "missing" on top.
  const std::vector<MapEntry> entries = r.Entries(node, kStageKeys, "in " + label);
  const auto key = [&entries](std::string_view k) -> const MapEntry* {
    for (const MapEntry& e : entries) {
      if (e.key == k) return &e;
    }
    return nullptr;
  };
  bool uses_ok = false, run_ok = false;
  for (const MapEntry& e : entries) {
    const std::string what = "'" + e.key + "' of " + label;
    if (e.key == "name") {
      if (r.ReadString(e, what, &stage->name)) {
        source->name_pos = YamlReader::ValuePos(e);
        if (!IsValidName(stage->name))
          r.Error(source->name_pos, InvalidNameMessage("stage", stage->name));
      }
    } else if (e.key == "uses") {
      if (!r.ReadString(e, what, &stage->uses)) continue;
      if (stage->uses.empty()) {
        r.Error(YamlReader::ValuePos(e), what + ": expected a plugin name, got ''");
        continue;
      }
      // A plugin reference is a name looked up in the trusted plugin
      // folders, never a path or URL: no '/', '\', "..", ':' etc.
      if (stage->uses.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789._-") != std::string::npos ||
          stage->uses.front() == '.' || stage->uses.size() > 128) {
        r.Error(YamlReader::ValuePos(e),
                what + ": expected a plugin name (letters, digits, '.', '_', '-'; not starting "
                "with '.'), not a path: '" + stage->uses.substr(0, 128) + "'");
        continue;
      }
      uses_ok = true;
      if (!options.known_plugins.empty() && !options.known_plugins.count(stage->uses)) {
        std::string known;
        for (const std::string& plugin : options.known_plugins) {
          known += (known.empty() ? "" : ", ") + plugin;
        }
        r.Error(YamlReader::ValuePos(e),
                "unknown plugin '" + stage->uses + "' in " + label + " (known: " + known + ")");
      }
    } else if (e.key == "needs") {
      r.ReadStringList(e, what, &stage->needs, &source->needs_pos);
    } else if (e.key == "run") {
      run_ok = r.ReadString(e, what, &stage->run);
    } else if (e.key == "argv") {
      if (r.ReadStringList(e, what, &stage->argv, nullptr, /*allow_empty=*/true) &&
          (stage->argv.empty() || stage->argv[0].empty())) {
        r.Error(YamlReader::ValuePos(e), what + ": expected the program as the first word");
      }
    } else if (e.key == "shell") {
      r.ReadBool(e, what, &stage->shell);
    } else if (e.key == "env") {
      ReadEnv(r, e, label, &stage->env);
    } else if (e.key == "with") {
      r.ReadJsonObject(e, what, &stage->with_json);
    } else if (e.key == "inputs") {
      r.ReadStringList(e, what, &stage->inputs);
    } else if (e.key == "outputs") {
      if (r.ReadStringList(e, what, &stage->outputs, &source->outputs_pos)) {
        CheckOutputs(r, label, *stage, *source);
      }
    } else if (e.key == "resources") {
      ReadResources(r, e, label, &stage->resources);
    } else if (e.key == "retries") {
      int64_t retries = 0;
      if (r.ReadInt(e, what, 0, kMaxRetries, &retries)) stage->retries = static_cast<int>(retries);
    } else if (e.key == "retry_backoff") {
      r.ReadDuration(e, what, &stage->retry_backoff);
    } else if (e.key == "timeout") {
      std::chrono::milliseconds timeout{0};
      if (!r.ReadDuration(e, what, &timeout)) continue;
      if (timeout.count() == 0) {
        r.Error(YamlReader::ValuePos(e), what + ": must be longer than 0");
      } else {
        stage->timeout = timeout;
      }
    }
  }
  if (!key("name")) r.Error(stage->pos, "missing required key 'name' in " + label);
  if (!key("uses")) r.Error(stage->pos, "missing required key 'uses' in " + label);
  if (!uses_ok) return;
  const MapEntry* run = key("run");
  const MapEntry* argv = key("argv");
  const MapEntry* shell = key("shell");
  if (stage->uses != "exec") {
    if (!options.known_plugins.empty() && !options.known_plugins.count(stage->uses)) return;
    for (const MapEntry* e : {run, argv, shell}) {
      if (e != nullptr) {
        r.Error(e->key_node,
                "'" + e->key + "' of " + label + " applies only to stages with 'uses: exec'");
      }
    }
    return;
  }
  if (run && argv) {
    r.Error(argv->key_node, "'run' and 'argv' of " + label + " exclude each other; keep one");
  } else if (!run && !argv) {
    r.Error(stage->pos, label + " uses exec but has neither 'run' nor 'argv'");
  } else if (argv && shell) {
    r.Error(shell->key_node, "'shell' of " + label + " applies only to 'run', not 'argv'");
  } else if (run_ok && stage->shell) {
    stage->argv = {"/bin/sh", "-c", stage->run};
  } else if (run_ok) {
    std::string error;
    if (!SplitCommandLine(stage->run, &stage->argv, &error)) {
      r.Error(YamlReader::ValuePos(*run), "'run' of " + label + ": " + error);
    }
  }
}

}  // namespace mlops::pipeline::internal
