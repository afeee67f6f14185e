#include "search/space.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace mlops::ml {
namespace {

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

bool ParseDouble(const std::string& text, double* out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const double d = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(d)) return false;
  *out = d;
  return true;
}

bool ParseInteger(const std::string& text, long long* out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end != text.c_str() + text.size()) return false;
  *out = v;
  return true;
}

// Splits "a, 'b, c', d" at top-level commas; quotes are kept on the tokens.
// Returns false on an unterminated quote.
bool SplitArgs(const std::string& args, std::vector<std::string>* out) {
  std::string cur;
  char quote = 0;
  for (char c : args) {
    if (quote != 0) {
      cur += c;
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
      cur += c;
    } else if (c == ',') {
      out->push_back(Trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (quote != 0) return false;
  out->push_back(Trim(cur));
  return true;
}

// A choice value: 'quoted' or "quoted" text, true/false, an integer, a
// number, or a bare word.
bool ParseChoiceValue(const std::string& token, nlohmann::json* out) {
  if (token.empty()) return false;
  const char q = token.front();
  if (q == '\'' || q == '"') {
    if (token.size() < 2 || token.back() != q) return false;
    const std::string inner = token.substr(1, token.size() - 2);
    if (inner.find(q) != std::string::npos) return false;
    *out = inner;
    return true;
  }
  if (token == "true" || token == "false") {
    *out = token == "true";
    return true;
  }
  long long i = 0;
  double d = 0;
  if (ParseInteger(token, &i)) {
    *out = static_cast<int64_t>(i);
  } else if (ParseDouble(token, &d)) {
    *out = d;
  } else {
    if (token.find_first_of("'\"()") != std::string::npos) return false;
    *out = token;
  }
  return true;
}

const char* Expected(DimensionKind kind) {
  switch (kind) {
    case DimensionKind::kUniform: return "uniform(low, high) with low < high";
    case DimensionKind::kLogUniform: return "loguniform(low, high) with 0 < low < high";
    case DimensionKind::kInt: return "int(low, high) with integers low <= high";
    case DimensionKind::kChoice: return "choice(v1, v2, ...) of distinct numbers or strings";
    case DimensionKind::kFixed: break;
  }
  return "a value";
}

Status ParseDistribution(const std::string& name, const std::string& text, Dimension* d) {
  const std::string t = Trim(text);
  const size_t open = t.find('(');
  size_t word_end = 0;
  while (word_end < t.size() && (std::isalpha(static_cast<unsigned char>(t[word_end])) != 0 || t[word_end] == '_')) {
    ++word_end;
  }
  // Not "word(...)": a plain string value.
  const bool call_form = open != std::string::npos && word_end > 0 && Trim(t.substr(word_end, open - word_end)).empty();
  if (!call_form) {
    d->kind = DimensionKind::kFixed;
    d->fixed = text;
    return Status::OK();
  }
  const std::string fn = t.substr(0, word_end);
  if (fn == "uniform") {
    d->kind = DimensionKind::kUniform;
  } else if (fn == "loguniform") {
    d->kind = DimensionKind::kLogUniform;
  } else if (fn == "int") {
    d->kind = DimensionKind::kInt;
  } else if (fn == "choice") {
    d->kind = DimensionKind::kChoice;
  } else {
    return Status::InvalidArgument("space." + name + ": unknown distribution '" + fn +
                                   "', expected uniform, loguniform, int or choice, got '" + text + "'");
  }
  const auto bad = [&] {
    return Status::InvalidArgument("space." + name + ": expected " + Expected(d->kind) + ", got '" + text + "'");
  };
  if (t.back() != ')') return bad();
  std::vector<std::string> args;
  if (!SplitArgs(t.substr(open + 1, t.size() - open - 2), &args)) return bad();

  if (d->kind == DimensionKind::kChoice) {
    for (const auto& a : args) {
      nlohmann::json v;
      if (!ParseChoiceValue(a, &v)) return bad();
      for (const auto& seen : d->choices) {
        if (seen == v) return bad();
      }
      d->choices.push_back(std::move(v));
    }
    d->low = 0;
    d->high = static_cast<double>(d->choices.size() - 1);
    return Status::OK();
  }
  double lo = 0, hi = 0;
  if (args.size() != 2 || !ParseDouble(args[0], &lo) || !ParseDouble(args[1], &hi)) return bad();
  switch (d->kind) {
    case DimensionKind::kUniform:
      if (!(lo < hi)) return bad();
      break;
    case DimensionKind::kLogUniform:
      if (!(lo > 0 && lo < hi)) return bad();
      lo = std::log(lo);
      hi = std::log(hi);
      break;
    case DimensionKind::kInt:
      if (lo != std::floor(lo) || hi != std::floor(hi) || lo > hi || std::fabs(lo) > 1e15 || std::fabs(hi) > 1e15) {
        return bad();
      }
      break;
    default:
      break;
  }
  d->low = lo;
  d->high = hi;
  return Status::OK();
}

// 12 significant digits: grid and sampled values read as typed (0.001, not
// 0.0010000000000000002), but never rounded up onto an open upper bound.
double Tidy(double v, double hi) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.12g", v);
  const double r = std::strtod(buf, nullptr);
  return r >= hi && v < hi ? v : r;
}

}  // namespace

int SearchSpace::SearchableCount() const {
  int n = 0;
  for (const auto& d : dims) n += d.searchable() ? 1 : 0;
  return n;
}

ParamValues SearchSpace::ParamsAt(const std::vector<double>& x) const {
  ParamValues p = nlohmann::json::object();
  for (size_t i = 0; i < dims.size(); ++i) {
    const Dimension& d = dims[i];
    switch (d.kind) {
      case DimensionKind::kUniform:
        p[d.name] = Tidy(x[i], d.high);
        break;
      case DimensionKind::kLogUniform:
        p[d.name] = Tidy(std::exp(x[i]), std::exp(d.high));
        break;
      case DimensionKind::kInt:
        p[d.name] = static_cast<int64_t>(std::llround(x[i]));
        break;
      case DimensionKind::kChoice:
        p[d.name] = d.choices[static_cast<size_t>(std::llround(x[i]))];
        break;
      case DimensionKind::kFixed:
        p[d.name] = d.fixed;
        break;
    }
  }
  return p;
}

Status ParseSearchSpace(const nlohmann::json& j, SearchSpace* out) {
  if (!j.is_object()) {
    return Status::InvalidArgument("space: expected a JSON object of name: distribution, got " + j.dump());
  }
  SearchSpace space;
  for (const auto& [name, value] : j.items()) {
    Dimension d;
    d.name = name;
    if (name.empty()) return Status::InvalidArgument("space: a parameter name is empty");
    if (value.is_string()) {
      d.text = value.get<std::string>();
      MLOPS_RETURN_IF_ERROR(ParseDistribution(name, d.text, &d));
    } else {
      d.text = value.dump();
      d.kind = DimensionKind::kFixed;
      d.fixed = value;
    }
    space.dims.push_back(std::move(d));
  }
  *out = std::move(space);
  return Status::OK();
}

}  // namespace mlops::ml
