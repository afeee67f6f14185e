// Layout: "MLOPSMLP" (8 bytes), format version (u32 LE), body length
// before compression (u64 LE), then the body deflated with zlib. The body:
// header length (u64 LE), the JSON header, then the tensors it points at
// (offsets relative to the first tensor byte), little-endian.
#include "model/model_file.h"

#include <zlib.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "mlops/common/files.h"
#include "model/half.h"

namespace mlops::ml {
namespace {

constexpr char kMagic[8] = {'M', 'L', 'O', 'P', 'S', 'M', 'L', 'P'};
constexpr uint32_t kVersion = 1;
constexpr uint64_t kMaxBody = 1ull << 32;  // 4 GiB: no model of ours is near it
// Deflate expands at most 1032:1 (zlib's documented limit), so a declared
// body beyond that many times the compressed bytes is a lie, refused before
// it is allocated.
constexpr uint64_t kMaxInflateRatio = 1032;

void PutLe(std::string* s, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t GetLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

// Appends raw tensor bytes to `data` and returns the JSON that points at them.
template <typename T>
nlohmann::json PutTensor(std::string* data, const std::vector<T>& v, const char* dtype) {
  nlohmann::json t = {{"dtype", dtype}, {"offset", data->size()}, {"count", v.size()}};
  data->append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  return t;
}

// A float tensor whose every value is exactly a half is stored as float16
// (the INT8 layers' scales and biases are rounded so that they are).
nlohmann::json PutFloats(std::string* data, const std::vector<float>& v) {
  for (float x : v) {
    if (!(std::fabs(x) < 65504.0f) || RoundToHalf(x) != x) return PutTensor(data, v, "float32");
  }
  std::vector<uint16_t> half(v.size());
  for (size_t i = 0; i < v.size(); ++i) half[i] = FloatToHalf(v[i]);
  return PutTensor(data, half, "float16");
}

template <typename T>
Status GetTensor(const nlohmann::json& t, const std::string& data, const char* dtype,
                 size_t expected, const std::string& what, std::vector<T>* out) {
  if (!t.is_object() || t.value("dtype", "") != dtype || !t.contains("offset") ||
      !t.contains("count") || !t["offset"].is_number_unsigned() || !t["count"].is_number_unsigned()) {
    return Status::Corruption(what + ": expected a " + dtype + " tensor");
  }
  const uint64_t offset = t["offset"].get<uint64_t>();
  const uint64_t count = t["count"].get<uint64_t>();
  if (count != expected) {
    return Status::Corruption(what + ": expected " + std::to_string(expected) + " values, the file has " +
                              std::to_string(count));
  }
  if (offset > data.size() || count * sizeof(T) > data.size() - offset) {
    return Status::Corruption(what + ": tensor data lies outside the file");
  }
  out->resize(count);
  if (count > 0) std::memcpy(out->data(), data.data() + offset, count * sizeof(T));
  return Status::OK();
}

Status GetFloats(const nlohmann::json& t, const std::string& data, size_t expected, const std::string& what,
                 std::vector<float>* out) {
  if (t.is_object() && t.value("dtype", "") == "float16") {
    std::vector<uint16_t> half;
    MLOPS_RETURN_IF_ERROR(GetTensor(t, data, "float16", expected, what, &half));
    out->resize(half.size());
    for (size_t i = 0; i < half.size(); ++i) (*out)[i] = HalfToFloat(half[i]);
    return Status::OK();
  }
  return GetTensor(t, data, "float32", expected, what, out);
}

Status CheckFinite(const std::vector<float>& v, const std::string& what) {
  for (float x : v) {
    if (!std::isfinite(x)) return Status::Corruption(what + ": holds a value that is not finite");
  }
  return Status::OK();
}

}  // namespace

Status SaveModel(const MlpModel& m, const std::string& path) {
  std::string data;
  nlohmann::json layers = nlohmann::json::array();
  for (const DenseLayer& l : m.layers) {
    nlohmann::json j = {{"in", l.in}, {"out", l.out}, {"bias", PutFloats(&data, l.bias)}};
    if (l.quantized()) {
      j["dtype"] = "int8";
      j["weight"] = PutTensor(&data, l.qweight, "int8");
      j["scale"] = PutFloats(&data, l.scale);
    } else {
      j["dtype"] = "float32";
      j["weight"] = PutTensor(&data, l.weight, "float32");
    }
    layers.push_back(std::move(j));
  }
  nlohmann::json header = {
      {"format", "mlopsd-mlp"},
      {"task", ToString(m.task)},
      {"feature_names", m.feature_names},
      {"label_name", m.label_name},
      {"classes", m.classes},
      {"feature_mean", PutTensor(&data, m.feature_mean, "float32")},
      {"feature_std", PutTensor(&data, m.feature_std, "float32")},
      {"target_mean", m.target_mean},
      {"target_std", m.target_std},
      {"activation", ToString(m.activation)},
      {"layers", std::move(layers)},
      {"provenance", m.provenance},
  };
  const std::string header_text = header.dump();
  std::string body;
  PutLe(&body, header_text.size(), 8);
  body += header_text;
  body += data;

  uLongf packed_size = compressBound(body.size());
  std::string packed(packed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
                reinterpret_cast<const Bytef*>(body.data()), body.size(), Z_BEST_COMPRESSION) != Z_OK) {
    return Status::IOError("model " + path + ": compression failed");
  }
  packed.resize(packed_size);
  std::string file(kMagic, sizeof(kMagic));
  PutLe(&file, kVersion, 4);
  PutLe(&file, body.size(), 8);
  file += packed;
  return WriteFileAtomic(path, file, 0644);
}

Status LoadModel(const std::string& path, MlpModel* out) {
  std::string file;
  MLOPS_RETURN_IF_ERROR(ReadFile(path, &file));
  return ParseModel(file, path, out);
}

Status ParseModel(const std::string& file, const std::string& name, MlpModel* out) {
  const std::string where = "model " + name;
  if (file.size() < 20 || std::memcmp(file.data(), kMagic, sizeof(kMagic)) != 0) {
    return Status::Corruption(where + ": not an mlopsd model file (no MLOPSMLP signature)");
  }
  const uint64_t version = GetLe(file.data() + 8, 4);
  if (version != kVersion) {
    return Status::Corruption(where + ": model format version " + std::to_string(version) +
                              " is not supported (this build reads version 1)");
  }
  const uint64_t body_size = GetLe(file.data() + 12, 8);
  if (body_size < 8 || body_size > kMaxBody || body_size > (file.size() - 20) * kMaxInflateRatio) {
    return Status::Corruption(where + ": bad body size");
  }
  std::string body(body_size, '\0');
  uLongf got = body_size;
  if (uncompress(reinterpret_cast<Bytef*>(body.data()), &got,
                 reinterpret_cast<const Bytef*>(file.data() + 20), file.size() - 20) != Z_OK ||
      got != body_size) {
    return Status::Corruption(where + ": the compressed body is damaged");
  }
  const uint64_t header_size = GetLe(body.data(), 8);
  if (header_size > body_size - 8) return Status::Corruption(where + ": bad header size");
  const nlohmann::json h = nlohmann::json::parse(body.substr(8, header_size), nullptr, false);
  // Compared as JSON: a "format" that is not a string is refused, not thrown.
  if (h.is_discarded() || !h.is_object() || !h.contains("format") || h["format"] != "mlopsd-mlp") {
    return Status::Corruption(where + ": the header is not an mlopsd-mlp JSON object");
  }
  const std::string data = body.substr(8 + header_size);
  MlpModel m;
  try {
    const std::string task = h.at("task").get<std::string>();
    if (task == "classification") m.task = Task::kClassification;
    else if (task == "regression") m.task = Task::kRegression;
    else return Status::Corruption(where + ": unknown task '" + task + "'");
    m.feature_names = h.at("feature_names").get<std::vector<std::string>>();
    m.label_name = h.at("label_name").get<std::string>();
    m.classes = h.at("classes").get<std::vector<std::string>>();
    m.target_mean = h.at("target_mean").get<double>();
    m.target_std = h.at("target_std").get<double>();
    if (!ParseActivation(h.at("activation").get<std::string>(), &m.activation)) {
      return Status::Corruption(where + ": unknown activation");
    }
    m.provenance = h.value("provenance", nlohmann::json::object());
    const size_t n = m.feature_names.size();
    MLOPS_RETURN_IF_ERROR(GetTensor(h.at("feature_mean"), data, "float32", n, where + ": feature_mean", &m.feature_mean));
    MLOPS_RETURN_IF_ERROR(GetTensor(h.at("feature_std"), data, "float32", n, where + ": feature_std", &m.feature_std));
    MLOPS_RETURN_IF_ERROR(CheckFinite(m.feature_mean, where + ": feature_mean"));
    MLOPS_RETURN_IF_ERROR(CheckFinite(m.feature_std, where + ": feature_std"));
    size_t prev = n;
    const auto& layers = h.at("layers");
    if (!layers.is_array() || layers.empty()) return Status::Corruption(where + ": no layers");
    for (size_t i = 0; i < layers.size(); ++i) {
      const auto& lj = layers[i];
      const std::string what = where + ": layer " + std::to_string(i);
      DenseLayer l;
      // Checked before get<>: a float beyond size_t's range would be
      // converted with undefined behaviour, a negative one wrapped.
      if (!lj.at("in").is_number_unsigned() || !lj.at("out").is_number_unsigned()) {
        return Status::Corruption(what + ": in and out must be whole numbers");
      }
      l.in = lj.at("in").get<size_t>();
      l.out = lj.at("out").get<size_t>();
      if (l.in != prev || l.out == 0 || l.out > (1u << 20)) {
        return Status::Corruption(what + ": shape " + std::to_string(l.in) + "x" + std::to_string(l.out) +
                                  " does not follow the previous layer (" + std::to_string(prev) + " outputs)");
      }
      MLOPS_RETURN_IF_ERROR(GetFloats(lj.at("bias"), data, l.out, what + " bias", &l.bias));
      MLOPS_RETURN_IF_ERROR(CheckFinite(l.bias, what + " bias"));
      const std::string dtype = lj.at("dtype").get<std::string>();
      if (dtype == "int8") {
        MLOPS_RETURN_IF_ERROR(GetTensor(lj.at("weight"), data, "int8", l.in * l.out, what + " weight", &l.qweight));
        MLOPS_RETURN_IF_ERROR(GetFloats(lj.at("scale"), data, l.out, what + " scale", &l.scale));
        MLOPS_RETURN_IF_ERROR(CheckFinite(l.scale, what + " scale"));
        if (l.qweight.empty()) return Status::Corruption(what + ": empty weight");
      } else if (dtype == "float32") {
        MLOPS_RETURN_IF_ERROR(GetTensor(lj.at("weight"), data, "float32", l.in * l.out, what + " weight", &l.weight));
        MLOPS_RETURN_IF_ERROR(CheckFinite(l.weight, what + " weight"));
      } else {
        return Status::Corruption(what + ": unknown dtype '" + dtype + "'");
      }
      prev = l.out;
      m.layers.push_back(std::move(l));
    }
    const size_t want = m.task == Task::kRegression ? 1 : m.classes.size();
    if (prev != want) {
      return Status::Corruption(where + ": the last layer has " + std::to_string(prev) + " outputs, the task needs " +
                                std::to_string(want));
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(where + ": malformed header: " + e.what());
  }
  *out = std::move(m);
  return Status::OK();
}

}  // namespace mlops::ml
