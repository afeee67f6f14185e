#include "serving/server/json_text.h"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

namespace mlops::serving {

JsonText& JsonText::String(std::string_view s) {
  // Printable ASCII other than '"' and '\\' is written as it is by
  // nlohmann too; anything else (escapes, UTF-8, invalid bytes) is left to
  // nlohmann's own serializer.
  for (const char c : s) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
      out_ += nlohmann::json(std::string(s)).dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace);
      return *this;
    }
  }
  out_ += '"';
  out_.append(s);
  out_ += '"';
  return *this;
}

JsonText& JsonText::Number(double d) {
  if (!std::isfinite(d)) return Raw("null");
  // nlohmann's serializer prints doubles with this very routine (its
  // detail::to_chars, into a 64-byte buffer), so the text is the same.
  char buffer[64];
  const char* end = nlohmann::detail::to_chars(buffer, buffer + sizeof(buffer), d);
  out_.append(buffer, static_cast<size_t>(end - buffer));
  return *this;
}

JsonText& JsonText::Integer(int64_t i) {
  char buffer[24];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), i);
  out_.append(buffer, static_cast<size_t>(end - buffer));
  return *this;
}

JsonText& JsonText::Numbers(const double* d, size_t n) {
  out_ += '[';
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out_ += ',';
    Number(d[i]);
  }
  out_ += ']';
  return *this;
}

JsonText& JsonText::Strings(const std::vector<std::string>& s) {
  out_ += '[';
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0) out_ += ',';
    String(s[i]);
  }
  out_ += ']';
  return *this;
}

}  // namespace mlops::serving
