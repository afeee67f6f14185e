#include "serving/server/request_json.h"

#include <cmath>
#include <limits>

#include "mlops/signing/signing.h"

namespace mlops::serving {
namespace {

// Marker strings for the dialect's tokens; they begin with a NUL, which a
// client can send only escaped, so a marker never collides with a real
// feature that a model would accept anyway (strings are refused).
constexpr std::string_view kNan("\0nan", 4);
constexpr std::string_view kInf("\0inf", 4);
constexpr std::string_view kNegInf("\0-inf", 5);

std::string Marker(std::string_view m) {
  std::string out = "\"\\u0000";
  out.append(m.substr(1));
  return out + "\"";
}

// Checks the nesting depth of `text` and, with `tf_dialect`, replaces the
// dialect's bare tokens outside strings: *out gets the rewritten text, and
// stays empty when nothing was replaced (the text is parsed as it came).
bool Rewrite(std::string_view text, bool tf_dialect, std::string* out, std::string* error) {
  out->clear();
  size_t copied = 0;  // text[0, copied) is in *out
  const auto replace = [&](size_t at, size_t length, std::string_view marker) {
    out->append(text.substr(copied, at - copied));
    *out += Marker(marker);
    copied = at + length;
  };
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        *error = "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
        return false;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (tf_dialect) {
      const std::string_view rest = text.substr(i);
      if (rest.starts_with("NaN")) {
        replace(i, 3, kNan);
        i += 2;
      } else if (rest.starts_with("Infinity")) {
        replace(i, 8, kInf);
        i += 7;
      } else if (rest.starts_with("-Infinity")) {
        replace(i, 9, kNegInf);
        i += 8;
      }
    }
  }
  if (copied > 0) out->append(text.substr(copied));
  return true;
}

}  // namespace

bool ParseRequestJson(std::string_view text, bool tf_dialect, nlohmann::json* out,
                      std::string* error) {
  std::string rewritten;
  if (!Rewrite(text, tf_dialect, &rewritten, error)) return false;
  try {
    const std::string_view input = rewritten.empty() ? text : std::string_view(rewritten);
    *out = nlohmann::json::parse(input.begin(), input.end());
  } catch (const nlohmann::json::parse_error& e) {
    *error = std::string("malformed JSON: ") + e.what();
    return false;
  }
  return true;
}

bool ReadNumber(const nlohmann::json& v, double* out, std::string* error) {
  if (v.is_number()) {
    *out = v.get<double>();
    return true;
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s == kNan) {
      *out = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
    if (s == kInf || s == kNegInf) {
      *out = s == kInf ? std::numeric_limits<double>::infinity()
                       : -std::numeric_limits<double>::infinity();
      return true;
    }
    *error = "a string, where the model takes a number";
    return false;
  }
  if (v.is_object() && v.size() == 1 && v.contains("b64")) {
    std::string bytes;
    if (!v["b64"].is_string() || !signing::Base64Decode(v["b64"].get<std::string>(), &bytes)) {
      *error = "a {\"b64\": ...} value that is not valid base64";
      return false;
    }
    *error = "a binary value ({\"b64\": ...}, " + std::to_string(bytes.size()) +
             " bytes), where the model takes a number";
    return false;
  }
  *error = std::string("a JSON ") + v.type_name() + ", where the model takes a number";
  return false;
}

}  // namespace mlops::serving
