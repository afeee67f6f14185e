#include "pipeline/yaml_scalar.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <string>

namespace mlops::pipeline::internal {

namespace {

bool IsDigits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = base == 8    ? (c >= '0' && c <= '7')
                    : base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                                 : (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+ ; sets *base and the digits.
bool SplitInt(std::string_view s, int* base, bool* negative, std::string_view* digits) {
  *negative = false;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
    *base = s[1] == 'o' ? 8 : 16;
    *digits = s.substr(2);
    return IsDigits(*digits, *base);
  }
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    *negative = s[0] == '-';
    s.remove_prefix(1);
  }
  *base = 10;
  *digits = s;
  return IsDigits(s, 10);
}

// [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
bool IsCoreFloat(std::string_view s) {
  size_t i = 0;
  const auto digits = [&] {
    const size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  const bool whole = digits();
  bool fraction = false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    fraction = digits();
  }
  if (!whole && !fraction) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

bool IsSpecialFloat(std::string_view s, double* value) {
  double sign = 1;
  std::string_view rest = s;
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) {
    sign = rest[0] == '-' ? -1 : 1;
    rest.remove_prefix(1);
  }
  if (rest == ".inf" || rest == ".Inf" || rest == ".INF") {
    *value = sign * std::numeric_limits<double>::infinity();
    return true;
  }
  if (s == ".nan" || s == ".NaN" || s == ".NAN") {
    *value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  return false;
}

}  // namespace

ScalarType ResolveScalar(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return ScalarType::kNull;
  const std::string& tag = node.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return ScalarType::kString;
  const std::string& s = node.Scalar();
  if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE") {
    return ScalarType::kBool;
  }
  int base = 10;
  bool negative = false;
  std::string_view digits;
  if (SplitInt(s, &base, &negative, &digits)) return ScalarType::kInt;
  double special = 0;
  if (IsCoreFloat(s) || IsSpecialFloat(s, &special)) return ScalarType::kFloat;
  return ScalarType::kString;
}

bool ParseCoreInt(const std::string& text, int64_t* out) {
  int base = 10;
  bool negative = false;
  std::string_view digits;
  if (!SplitInt(text, &base, &negative, &digits)) return false;
  uint64_t magnitude = 0;
  const auto [end, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (ec != std::errc() || end != digits.data() + digits.size()) return false;
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (magnitude > kMax + (negative ? 1 : 0)) return false;
  *out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return true;
}

bool ParseCoreNumber(const YAML::Node& node, double* out) {
  const ScalarType type = ResolveScalar(node);
  if (type != ScalarType::kInt && type != ScalarType::kFloat) return false;
  const std::string& s = node.Scalar();
  if (IsSpecialFloat(s, out)) return true;
  int64_t whole = 0;
  if (type == ScalarType::kInt && ParseCoreInt(s, &whole)) {
    *out = static_cast<double>(whole);
    return true;
  }
  // Large integers and decimal floats; from_chars accepts no leading '+'.
  std::string_view text = s;
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  if (type == ScalarType::kInt && text.size() > 2 && text[0] == '0' &&
      (text[1] == 'o' || text[1] == 'x')) {
    return false;  // beyond uint64 in octal or hex: no sensible double
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace mlops::pipeline::internal
