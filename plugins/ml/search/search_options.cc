#include "search/search_options.h"

#include "search/json_int.h"

namespace mlops::ml {
namespace {

Status ReadInt(const nlohmann::json& j, const char* key, int64_t lo, int64_t hi, int64_t* out) {
  return ReadBoundedInt(j, key, std::string("'") + key + "'", lo, hi, out);
}

Status ReadInt(const nlohmann::json& j, const char* key, int lo, int hi, int* out) {
  int64_t v = *out;
  MLOPS_RETURN_IF_ERROR(ReadInt(j, key, int64_t{lo}, int64_t{hi}, &v));
  *out = static_cast<int>(v);
  return Status::OK();
}

}  // namespace

const char* ToString(Strategy strategy) {
  switch (strategy) {
    case Strategy::kGrid: return "grid";
    case Strategy::kRandom: return "random";
    case Strategy::kTpe: return "tpe";
  }
  return "unknown";
}

const std::vector<std::string>& SearchOptionKeys() {
  static const std::vector<std::string> keys = {"strategy",  "trials", "parallel",   "seed",  "grid_points",
                                                "n_startup", "gamma",  "candidates", "pruner"};
  return keys;
}

Status ParseSearchOptions(const nlohmann::json& with, SearchOptions* out) {
  SearchOptions o = *out;
  if (with.contains("strategy")) {
    const auto& s = with["strategy"];
    if (s == "grid") {
      o.strategy = Strategy::kGrid;
    } else if (s == "random") {
      o.strategy = Strategy::kRandom;
    } else if (s == "tpe") {
      o.strategy = Strategy::kTpe;
    } else {
      return Status::InvalidArgument("'strategy': expected grid, random or tpe, got " + s.dump());
    }
  }
  MLOPS_RETURN_IF_ERROR(ReadInt(with, "trials", 1, 100000, &o.trials));
  MLOPS_RETURN_IF_ERROR(ReadInt(with, "parallel", 1, 1024, &o.parallel));
  if (with.contains("seed")) {
    const auto& s = with["seed"];
    if (!s.is_number_unsigned() && !(s.is_number_integer() && s.get<int64_t>() >= 0)) return Status::InvalidArgument("'seed': expected a non-negative integer, got " + s.dump());
    o.seed = s.get<uint64_t>();
  }
  MLOPS_RETURN_IF_ERROR(ReadInt(with, "grid_points", 1, 1000, &o.grid_points));
  MLOPS_RETURN_IF_ERROR(ReadInt(with, "n_startup", 1, 100000, &o.tpe.n_startup));
  MLOPS_RETURN_IF_ERROR(ReadInt(with, "candidates", 1, 100000, &o.tpe.candidates));
  if (with.contains("gamma")) {
    const auto& g = with["gamma"];
    if (!g.is_number() || !(g.get<double>() > 0 && g.get<double>() < 1)) {
      return Status::InvalidArgument("'gamma': expected a number in (0, 1), got " + g.dump());
    }
    o.tpe.gamma = g.get<double>();
  }
  if (with.contains("pruner")) MLOPS_RETURN_IF_ERROR(ParsePrunerOptions(with["pruner"], &o.pruner));
  *out = o;
  return Status::OK();
}

nlohmann::json ToJson(const SearchOptions& o) {
  nlohmann::json j = {{"strategy", ToString(o.strategy)},
                      {"trials", o.trials},
                      {"parallel", o.parallel},
                      {"seed", o.seed},
                      {"direction", o.direction == Direction::kMaximize ? "maximize" : "minimize"},
                      {"pruner", ToJson(o.pruner)}};
  if (o.strategy == Strategy::kGrid) j["grid_points"] = o.grid_points;
  if (o.strategy == Strategy::kTpe) {
    j["n_startup"] = o.tpe.n_startup;
    j["gamma"] = o.tpe.gamma;
    j["candidates"] = o.tpe.candidates;
  }
  return j;
}

}  // namespace mlops::ml
