#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "pipeline/pipeline_parser.h"

namespace mlops::pipeline {

namespace {

constexpr const char* kUnits = "(use ms, s, m, h or d, e.g. 1h30m)";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Milliseconds per unit: the text up to the next digit. 0 when unknown.
int64_t UnitMs(std::string_view unit) {
  if (unit == "ms") return 1;
  if (unit == "s") return 1000;
  if (unit == "m") return 60 * 1000;
  if (unit == "h") return 60 * 60 * 1000;
  if (unit == "d") return 24 * 60 * 60 * 1000;
  return 0;
}

bool Fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return false;
}

}  // namespace

bool ParseDuration(const std::string& text, std::chrono::milliseconds* out) {
  return ParseDuration(text, out, nullptr);
}

bool ParseDuration(const std::string& text, std::chrono::milliseconds* out, std::string* error) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (text.empty()) return Fail(error, std::string("empty duration ") + kUnits);
  if (text[0] == '-') return Fail(error, "a duration cannot be negative");
  if (text[0] == '+') return Fail(error, "a duration takes no sign");
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i])) {
      return Fail(error, "expected a number before '" + text.substr(i) + "' " + kUnits);
    }
    int64_t n = 0;
    bool overflow = false;
    while (i < text.size() && IsDigit(text[i])) {
      const int digit = text[i] - '0';
      if (n > (kMax - digit) / 10) overflow = true;
      if (!overflow) n = n * 10 + digit;
      ++i;
    }
    if (i == text.size()) {
      return Fail(error, "missing unit after " + text.substr(0, i) + " " + kUnits);
    }
    if (text[i] == '.' || text[i] == ',') {
      return Fail(error, "a duration takes whole numbers only " + std::string(kUnits));
    }
    const size_t unit_at = i;
    while (i < text.size() && !IsDigit(text[i])) ++i;
    const std::string_view unit = std::string_view(text).substr(unit_at, i - unit_at);
    const int64_t unit_ms = UnitMs(unit);
    if (unit_ms == 0) return Fail(error, "unknown unit '" + std::string(unit) + "' " + kUnits);
    if (overflow || n > kMax / unit_ms || total > kMax - n * unit_ms) {
      return Fail(error, "duration is too long");
    }
    total += n * unit_ms;
  }
  *out = std::chrono::milliseconds(total);
  return true;
}

}  // namespace mlops::pipeline
