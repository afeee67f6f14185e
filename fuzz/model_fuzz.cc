// The .mlp model reader (plugins/ml/model/model_file.h). An input that
// starts with the file's signature is read as a whole file; any other input
// is taken as the body (header length, JSON header, tensors) and wrapped as
// SaveModel wraps it, so that mutations reach the header and tensor checks
// behind the compression. Each either loads a model that passes its own
// shape checks or is refused with the reason; nothing throws, aborts, leaks
// or allocates without bound.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "model/mlp_model.h"
#include "model/model_file.h"
#include "scratch_file.h"

namespace {

void PutLe(std::string* s, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::string WrapBody(std::string_view body) {
  uLongf packed_size = compressBound(body.size());
  std::string packed(packed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
                reinterpret_cast<const Bytef*>(body.data()), body.size(), Z_BEST_SPEED) != Z_OK) {
    __builtin_trap();
  }
  packed.resize(packed_size);
  std::string file = "MLOPSMLP";
  PutLe(&file, 1, 4);
  PutLe(&file, body.size(), 8);
  return file + packed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static mlops::fuzz::ScratchFile file("model.mlp");
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.substr(0, 8) == "MLOPSMLP") {
    file.Write(bytes);
  } else {
    file.Write(WrapBody(bytes));
  }
  mlops::ml::MlpModel model;
  const mlops::Status status = mlops::ml::LoadModel(file.path(), &model);
  if (!status.ok()) {
    if (status.message().empty()) __builtin_trap();
    return 0;
  }
  size_t width = model.feature_names.size();
  for (const auto& layer : model.layers) {
    if (layer.in != width || layer.bias.size() != layer.out) __builtin_trap();
    width = layer.out;
  }
  return 0;
}
