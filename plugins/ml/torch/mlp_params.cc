// MlpParams from and to JSON. No torch here: this TU stays cheap to build.
#include <algorithm>
#include <sstream>
#include <string>

#include "torch/mlp_trainer.h"

namespace mlops::ml {
namespace {

std::string Num(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

Status Bad(const std::string& key, const std::string& expected, const nlohmann::json& got) {
  return Status::InvalidArgument("'" + key + "': expected " + expected + ", got " + got.dump());
}

Status ReadInt(const nlohmann::json& j, const char* key, int lo, int hi, int* out) {
  if (!j.contains(key)) return Status::OK();
  const auto& v = j[key];
  // Tuners hand over doubles for int dimensions sometimes: accept 32.0.
  if (v.is_number_integer() || (v.is_number_float() && v.get<double>() == static_cast<int64_t>(v.get<double>()))) {
    const double d = v.get<double>();
    if (d >= lo && d <= hi) {
      *out = static_cast<int>(d);
      return Status::OK();
    }
  }
  return Bad(key, "an integer from " + std::to_string(lo) + " to " + std::to_string(hi), v);
}

Status ReadDouble(const nlohmann::json& j, const char* key, double lo, double hi, bool hi_open,
                  double* out) {
  if (!j.contains(key)) return Status::OK();
  const auto& v = j[key];
  if (v.is_number()) {
    const double d = v.get<double>();
    if (d >= lo && (hi_open ? d < hi : d <= hi)) {
      *out = d;
      return Status::OK();
    }
  }
  return Bad(key, "a number in [" + Num(lo) + ", " + Num(hi) + (hi_open ? ")" : "]"), v);
}

}  // namespace

Status ParseMlpParams(const nlohmann::json& j, MlpParams* out) {
  if (!j.is_object()) return Status::InvalidArgument("MLP parameters: expected a JSON object");
  MlpParams p = *out;
  if (j.contains("hidden")) {
    const auto& h = j["hidden"];
    std::vector<int> hidden;
    if (h.is_number()) {
      // One width sets every hidden layer (their number stays).
      int units = 0;
      MLOPS_RETURN_IF_ERROR(ReadInt(j, "hidden", 1, 65536, &units));
      hidden.assign(std::max<size_t>(1, p.hidden.size()), units);
    } else if (h.is_array()) {
      for (const auto& u : h) {
        if (!u.is_number_integer() || u.get<int64_t>() < 1 || u.get<int64_t>() > 65536) {
          return Bad("hidden", "a list of layer widths from 1 to 65536", h);
        }
        hidden.push_back(u.get<int>());
      }
    } else {
      return Bad("hidden", "a layer width or a list of them", h);
    }
    p.hidden = hidden;
  }
  if (j.contains("layers")) {
    // `layers: N` repeats the first width N times (a tuner can search it).
    int n = 0;
    MLOPS_RETURN_IF_ERROR(ReadInt(j, "layers", 1, 16, &n));
    const int width = p.hidden.empty() ? 64 : p.hidden.front();
    p.hidden.assign(static_cast<size_t>(n), width);
  }
  if (j.contains("activation")) {
    const auto& a = j["activation"];
    if (!a.is_string() || !ParseActivation(a.get<std::string>(), &p.activation)) {
      return Bad("activation", "relu, tanh or sigmoid", a);
    }
  }
  MLOPS_RETURN_IF_ERROR(ReadDouble(j, "dropout", 0.0, 1.0, true, &p.dropout));
  if (j.contains("optimizer")) {
    const auto& o = j["optimizer"];
    if (!o.is_string() || (o != "adam" && o != "adamw" && o != "sgd")) return Bad("optimizer", "adam, adamw or sgd", o);
    p.optimizer = o.get<std::string>();
  }
  MLOPS_RETURN_IF_ERROR(ReadDouble(j, "lr", 1e-8, 10.0, false, &p.lr));
  MLOPS_RETURN_IF_ERROR(ReadDouble(j, "momentum", 0.0, 1.0, true, &p.momentum));
  MLOPS_RETURN_IF_ERROR(ReadInt(j, "batch_size", 1, 1 << 20, &p.batch_size));
  MLOPS_RETURN_IF_ERROR(ReadInt(j, "epochs", 1, 100000, &p.epochs));
  MLOPS_RETURN_IF_ERROR(ReadDouble(j, "weight_decay", 0.0, 1.0, false, &p.weight_decay));
  MLOPS_RETURN_IF_ERROR(ReadInt(j, "patience", 0, 100000, &p.patience));
  if (j.contains("seed")) {
    const auto& s = j["seed"];
    if (!s.is_number_integer() || (!s.is_number_unsigned() && s.get<int64_t>() < 0)) {
      return Bad("seed", "a non-negative integer", s);
    }
    p.seed = s.is_number_unsigned() ? s.get<uint64_t>() : static_cast<uint64_t>(s.get<int64_t>());
  }
  MLOPS_RETURN_IF_ERROR(ReadInt(j, "threads", 1, 1024, &p.threads));
  if (j.contains("device")) {
    const auto& d = j["device"];
    if (!d.is_string() || (d != "auto" && d != "cpu" && d != "cuda")) return Bad("device", "auto, cpu or cuda", d);
    p.device = d.get<std::string>();
  }
  *out = std::move(p);
  return Status::OK();
}

nlohmann::json ToJson(const MlpParams& p) {
  return {{"hidden", p.hidden},           {"activation", ToString(p.activation)},
          {"dropout", p.dropout},         {"optimizer", p.optimizer},
          {"lr", p.lr},                   {"momentum", p.momentum},
          {"batch_size", p.batch_size},   {"epochs", p.epochs},
          {"weight_decay", p.weight_decay}, {"patience", p.patience},
          {"seed", p.seed},               {"device", p.device}};
}

}  // namespace mlops::ml
