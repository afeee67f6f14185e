// JSON text of an answer, written straight into a string: no JSON tree and
// no allocation per value. Each piece prints exactly as nlohmann's
// dump(-1, ' ', false, error_handler_t::replace) prints the same value, so
// an answer written here is byte for byte the one a json object would give
// (numbers: nlohmann's own shortest round-trip form, "3.0" for integral
// values, "1e-05" beyond its range, "null" for NaN and infinities).
// Thread-safety: a JsonText belongs to one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mlops::serving {

class JsonText {
 public:
  // Punctuation and keys, as given: `Raw("{\"outputs\":")`.
  JsonText& Raw(std::string_view text) {
    out_.append(text);
    return *this;
  }
  JsonText& String(std::string_view s);
  JsonText& Number(double d);
  JsonText& Integer(int64_t i);
  // [d0,d1,...] of n values.
  JsonText& Numbers(const double* d, size_t n);
  // ["s0","s1",...].
  JsonText& Strings(const std::vector<std::string>& s);

  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace mlops::serving
