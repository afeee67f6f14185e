#include "search/pruner.h"

#include <algorithm>
#include <iterator>
#include <string>

#include "search/asha_pruner.h"
#include "search/json_int.h"
#include "search/median_pruner.h"

namespace mlops::ml {
namespace {

Status ReadInt(const nlohmann::json& j, const char* key, int64_t lo, int64_t hi, int64_t* out) {
  return ReadBoundedInt(j, key, std::string("pruner.") + key, lo, hi, out);
}

const char* KindName(PrunerKind kind) {
  switch (kind) {
    case PrunerKind::kAsha: return "asha";
    case PrunerKind::kMedian: return "median";
    case PrunerKind::kNone: break;
  }
  return "none";
}

}  // namespace

Status ParsePrunerOptions(const nlohmann::json& j, PrunerOptions* out) {
  PrunerOptions o;
  nlohmann::json type = j;
  if (j.is_object()) {
    type = j.value("type", nlohmann::json());
    for (const auto& [key, _] : j.items()) {
      static const char* kKeys[] = {"type", "min_resource", "reduction_factor", "startup_trials", "warmup_steps"};
      if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
        return Status::InvalidArgument("pruner: unknown key '" + key +
                                       "', expected type, min_resource, reduction_factor, startup_trials or warmup_steps");
      }
    }
  }
  if (type == "none") {
    o.kind = PrunerKind::kNone;
  } else if (type == "asha") {
    o.kind = PrunerKind::kAsha;
  } else if (type == "median") {
    o.kind = PrunerKind::kMedian;
  } else {
    return Status::InvalidArgument("pruner: expected none, asha or median (or an object with \"type\"), got " +
                                   j.dump());
  }
  if (j.is_object()) {
    int64_t v = o.reduction_factor;
    MLOPS_RETURN_IF_ERROR(ReadInt(j, "min_resource", 0, 1000000, &o.min_resource));
    MLOPS_RETURN_IF_ERROR(ReadInt(j, "reduction_factor", 2, 100, &v));
    o.reduction_factor = static_cast<int>(v);
    v = o.startup_trials;
    MLOPS_RETURN_IF_ERROR(ReadInt(j, "startup_trials", 0, 1000000, &v));
    o.startup_trials = static_cast<int>(v);
    MLOPS_RETURN_IF_ERROR(ReadInt(j, "warmup_steps", 0, 1000000000, &o.warmup_steps));
  }
  *out = o;
  return Status::OK();
}

nlohmann::json ToJson(const PrunerOptions& o) {
  switch (o.kind) {
    case PrunerKind::kAsha:
      return {{"type", KindName(o.kind)}, {"min_resource", o.min_resource}, {"reduction_factor", o.reduction_factor}};
    case PrunerKind::kMedian:
      return {{"type", KindName(o.kind)}, {"startup_trials", o.startup_trials}, {"warmup_steps", o.warmup_steps}};
    case PrunerKind::kNone: break;
  }
  return {{"type", "none"}};
}

int64_t AutoMinResource(int64_t max_steps, int reduction_factor) {
  const int64_t r = reduction_factor;
  return std::max<int64_t>(1, max_steps / (r * r * r));
}

std::unique_ptr<Pruner> MakePruner(const PrunerOptions& o, Direction direction) {
  switch (o.kind) {
    case PrunerKind::kAsha:
      return std::make_unique<AshaPruner>(std::max<int64_t>(1, o.min_resource), o.reduction_factor, direction);
    case PrunerKind::kMedian: return std::make_unique<MedianPruner>(o.startup_trials, o.warmup_steps, direction);
    case PrunerKind::kNone: break;
  }
  return nullptr;
}

}  // namespace mlops::ml
