#include "tuner/tuner_config.h"

#include <algorithm>
#include <cmath>

#include "common/param_keys.h"
#include "search/grid_sampler.h"

namespace mlops::ml {
namespace {

// MlpParams keys a space may vary. threads, seed and device are the stage's.
const std::vector<std::string> kSearchableKeys = {"hidden",   "layers",     "activation", "dropout",
                                                   "optimizer", "lr",        "momentum",   "batch_size",
                                                   "epochs",   "weight_decay", "patience"};

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& k : v) s += (s.empty() ? "" : ", ") + k;
  return s;
}

// The coordinates of `d` worth checking: every grid value, or the ends of
// the range and every choice.
std::vector<double> Probes(const Dimension& d, const SearchOptions& o) {
  if (o.strategy == Strategy::kGrid) return GridCoordinates(d, o.grid_points);
  switch (d.kind) {
    case DimensionKind::kUniform:
    case DimensionKind::kLogUniform:
      return {d.low, std::nextafter(d.high, d.low)};
    case DimensionKind::kInt:
      return {d.low, d.high};
    case DimensionKind::kChoice:
      return GridCoordinates(d, 1 + static_cast<int>(d.choices.size()));
    case DimensionKind::kFixed:
      break;
  }
  return {0};
}

Status CheckSpace(const TunerConfig& c, const nlohmann::json& with) {
  for (size_t i = 0; i < c.space.dims.size(); ++i) {
    const Dimension& d = c.space.dims[i];
    if (std::find(kSearchableKeys.begin(), kSearchableKeys.end(), d.name) == kSearchableKeys.end()) {
      return Status::InvalidArgument("space." + d.name + ": not a hyperparameter the tuner can vary; expected one of " +
                                     Join(kSearchableKeys));
    }
    if (with.contains(d.name)) {
      return Status::InvalidArgument("'" + d.name + "' is both fixed in `with` and searched in `space`");
    }
    std::vector<double> x(c.space.dims.size(), 0.0);
    for (double probe : Probes(d, c.search)) {
      x[i] = probe;
      const ParamValues values = c.space.ParamsAt(x);
      MlpParams p;
      if (Status s = TrialParams(c, {{d.name, values[d.name]}}, &p); !s.ok()) {
        return Status::InvalidArgument("space." + d.name + ": " + s.message());
      }
    }
  }
  return Status::OK();
}

}  // namespace

const char* ToString(TuneTarget target) {
  switch (target) {
    case TuneTarget::kValAccuracy: return "val_accuracy";
    case TuneTarget::kValLoss: return "val_loss";
    case TuneTarget::kValR2: return "val_r2";
    case TuneTarget::kAuto: break;
  }
  return "auto";
}

const std::vector<std::string>& TunerKeys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k = {"data", "split", "target", "space"};
    for (const auto& s : SearchOptionKeys()) k.push_back(s);
    for (const auto& s : kSearchableKeys) k.push_back(s);
    k.insert(k.end(), {"threads", "device"});  // seed is a search option too
    return k;
  }();
  return keys;
}

Status ParseTunerConfig(const nlohmann::json& with, const std::string& work_dir, TunerConfig* out) {
  if (std::string e = UnknownKeyError(with, TunerKeys()); !e.empty()) return Status::InvalidArgument(e);
  if (!with.contains("data")) return Status::InvalidArgument("'data' is required (the data set to tune on)");
  TunerConfig c;
  if (Status s = ParseDataSpec(with["data"], work_dir, &c.data); !s.ok()) {
    return Status::InvalidArgument("data: " + s.message());
  }
  if (Status s = ParseSplitSpec(with.value("split", nlohmann::json::object()), &c.split); !s.ok()) {
    return Status::InvalidArgument("split: " + s.message());
  }
  MLOPS_RETURN_IF_ERROR(ParseSearchOptions(with, &c.search));
  if (!with.contains("space")) return Status::InvalidArgument("'space' is required (the hyperparameters to search)");
  MLOPS_RETURN_IF_ERROR(ParseSearchSpace(with["space"], &c.space));
  if (c.space.SearchableCount() == 0) {
    return Status::InvalidArgument("space: nothing to search; give at least one distribution, e.g. "
                                   "\"lr\": \"loguniform(1e-4, 1e-1)\"");
  }
  for (const auto& [key, value] : with.items()) {
    if (std::find(kSearchableKeys.begin(), kSearchableKeys.end(), key) != kSearchableKeys.end() || key == "seed" ||
        key == "device") {
      c.fixed[key] = value;
    }
  }
  MlpParams checked;
  MLOPS_RETURN_IF_ERROR(ParseMlpParams(c.fixed, &checked));
  if (with.contains("target")) {
    const auto& t = with["target"];
    if (t == "val_accuracy") {
      c.target = TuneTarget::kValAccuracy;
    } else if (t == "val_loss") {
      c.target = TuneTarget::kValLoss;
    } else if (t == "val_r2") {
      c.target = TuneTarget::kValR2;
    } else {
      return Status::InvalidArgument("'target': expected val_accuracy, val_loss or val_r2, got " + t.dump());
    }
  }
  MLOPS_RETURN_IF_ERROR(CheckSpace(c, with));
  *out = std::move(c);
  return Status::OK();
}

Status TrialParams(const TunerConfig& config, const nlohmann::json& values, MlpParams* out) {
  nlohmann::json merged = config.fixed;
  merged.update(values);
  MlpParams p;
  MLOPS_RETURN_IF_ERROR(ParseMlpParams(merged, &p));
  p.threads = 1;
  *out = p;
  return Status::OK();
}

Status ResolveTarget(Task task, TunerConfig* c) {
  const bool classification = task == Task::kClassification;
  if (c->target == TuneTarget::kAuto) c->target = classification ? TuneTarget::kValAccuracy : TuneTarget::kValR2;
  if (c->target == TuneTarget::kValAccuracy && !classification) {
    return Status::InvalidArgument("'target': val_accuracy needs a classification data set; use val_r2 or val_loss");
  }
  if (c->target == TuneTarget::kValR2 && classification) {
    return Status::InvalidArgument("'target': val_r2 needs a regression data set; use val_accuracy or val_loss");
  }
  c->search.direction = c->target == TuneTarget::kValLoss ? Direction::kMinimize : Direction::kMaximize;
  return Status::OK();
}

}  // namespace mlops::ml
