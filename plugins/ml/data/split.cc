#include "data/split.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "data/number_text.h"
#include "data/rng.h"

namespace mlops::ml {
namespace {

using nlohmann::json;

const std::vector<std::string> kSplitKeys = {"seed", "validation", "test", "stratify"};

Status GetFraction(const json& j, const char* key, double* out) {
  if (!j.contains(key)) return Status::OK();
  const json& v = j[key];
  if (!v.is_number())
    return Status::InvalidArgument(std::string("'") + key + "': expected a fraction in [0, 1), got " + v.dump());
  const double f = v.get<double>();
  if (!(f >= 0.0 && f < 1.0)) {
    return Status::InvalidArgument(std::string("'") + key + "': " + FormatNumber(f) +
                                   " is out of range, expected a fraction in [0, 1)");
  }
  *out = f;
  return Status::OK();
}

std::string ClassName(const Dataset& data, size_t c) {
  return c < data.classes.size() ? "'" + data.classes[c] + "'" : std::to_string(c);
}

// The rows of each class index, in the order of `rows`; an error for a
// label that is not a class index.
Status GroupByClass(const Dataset& data, const std::vector<size_t>& rows, std::vector<std::vector<size_t>>* groups) {
  groups->assign(data.num_classes(), {});
  for (size_t r : rows) {
    const double y = data.labels[r];
    if (!(y >= 0.0 && y < static_cast<double>(data.num_classes())) || y != std::floor(y)) {
      return Status::InvalidArgument("row " + std::to_string(r) + " has label " + FormatNumber(y) +
                                     ", expected a class index in [0, " + std::to_string(data.num_classes()) + ")");
    }
    (*groups)[static_cast<size_t>(y)].push_back(r);
  }
  return Status::OK();
}

// `total` rows over the classes in proportion to their sizes (largest
// remainder), at most cap[c] for class c. REQUIRES: sum(cap) >= total.
std::vector<size_t> Allocate(size_t total, const std::vector<size_t>& sizes, size_t n, const std::vector<size_t>& cap) {
  const size_t k = sizes.size();
  std::vector<size_t> out(k), rem(k), order(k);
  size_t left = total;
  for (size_t c = 0; c < k; ++c) {
    const size_t num = total * sizes[c];
    out[c] = std::min(num / n, cap[c]);
    rem[c] = num % n;
    left -= out[c];
    order[c] = c;
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (rem[a] != rem[b]) return rem[a] > rem[b];
    if (sizes[a] != sizes[b]) return sizes[a] > sizes[b];
    return a < b;
  });
  while (left > 0) {
    bool placed = false;
    for (size_t c : order) {
      if (left == 0) break;
      if (out[c] < cap[c]) {
        ++out[c];
        --left;
        placed = true;
      }
    }
    if (!placed) break;
  }
  return out;
}

size_t PartSize(double fraction, size_t n) {
  if (fraction <= 0.0) return 0;
  const auto k = static_cast<size_t>(std::floor(fraction * static_cast<double>(n) + 0.5));
  return std::max<size_t>(k, 1);
}

}  // namespace

Status ParseSplitSpec(const json& j, SplitSpec* out) {
  if (j.is_null()) {
    *out = SplitSpec();
    return Status::OK();
  }
  if (!j.is_object())
    return Status::InvalidArgument("expected an object with seed, validation, test or stratify, got " + j.dump());
  for (const auto& [key, value] : j.items()) {
    if (std::find(kSplitKeys.begin(), kSplitKeys.end(), key) == kSplitKeys.end()) {
      return Status::InvalidArgument("unknown key '" + key + "' (allowed: seed, validation, test, stratify)");
    }
  }
  SplitSpec spec;
  if (j.contains("seed")) {
    const json& v = j["seed"];
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) {
      return Status::InvalidArgument("'seed': expected a non-negative integer, got " + v.dump());
    }
    spec.seed = v.get<uint64_t>();
  }
  MLOPS_RETURN_IF_ERROR(GetFraction(j, "validation", &spec.validation));
  MLOPS_RETURN_IF_ERROR(GetFraction(j, "test", &spec.test));
  if (spec.validation + spec.test >= 1.0) {
    return Status::InvalidArgument("'validation' + 'test' is " + FormatNumber(spec.validation + spec.test) +
                                   ", expected less than 1 (train takes the rest)");
  }
  if (j.contains("stratify")) {
    if (!j["stratify"].is_boolean())
      return Status::InvalidArgument("'stratify': expected true or false, got " + j["stratify"].dump());
    spec.stratify = j["stratify"].get<bool>();
  }
  *out = spec;
  return Status::OK();
}

json ToJson(const SplitSpec& spec) {
  return {{"seed", spec.seed}, {"validation", spec.validation}, {"test", spec.test}, {"stratify", spec.stratify}};
}

Status MakeSplit(const Dataset& data, const SplitSpec& spec, Split* out) {
  const size_t n = data.rows;
  if (n == 0) return Status::InvalidArgument("no rows to split, expected at least one");
  const size_t n_test = PartSize(spec.test, n);
  const size_t n_val = PartSize(spec.validation, n);
  const bool classify = data.task == Task::kClassification;
  std::vector<size_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = i;
  std::vector<std::vector<size_t>> groups;
  if (classify) {
    MLOPS_RETURN_IF_ERROR(GroupByClass(data, all, &groups));
  } else {
    groups.push_back(all);
  }
  size_t present = 0;
  for (const auto& g : groups) present += !g.empty();
  if (n_test + n_val + present > n) {
    return Status::InvalidArgument(std::to_string(n) + " rows leave " +
                                   std::to_string(n_test + n_val >= n ? 0 : n - n_test - n_val) +
                                   " for train after validation " + std::to_string(n_val) + " and test " +
                                   std::to_string(n_test) + ", expected at least " + std::to_string(present) +
                                   (classify ? " (one per class)" : "") + "; lower 'validation' or 'test'");
  }
  Split split;
  Rng rng(spec.seed);
  if (classify && spec.stratify) {
    const size_t parts = 1 + (n_val > 0) + (n_test > 0);
    std::vector<size_t> sizes(groups.size()), cap(groups.size());
    for (size_t c = 0; c < groups.size(); ++c) {
      sizes[c] = groups[c].size();
      if (sizes[c] > 0 && sizes[c] < parts) {
        return Status::InvalidArgument("class " + ClassName(data, c) + " has " + std::to_string(sizes[c]) +
                                       " rows, expected at least " + std::to_string(parts) +
                                       " to stratify over train, validation and test (or stratify: false)");
      }
      cap[c] = sizes[c] > 0 ? sizes[c] - 1 : 0;
    }
    const std::vector<size_t> test = Allocate(n_test, sizes, n, cap);
    for (size_t c = 0; c < groups.size(); ++c) cap[c] -= test[c];
    const std::vector<size_t> val = Allocate(n_val, sizes, n, cap);
    for (size_t c = 0; c < groups.size(); ++c) {
      std::vector<size_t>& g = groups[c];
      rng.Shuffle(g);
      split.test.insert(split.test.end(), g.begin(), g.begin() + test[c]);
      split.validation.insert(split.validation.end(), g.begin() + test[c], g.begin() + test[c] + val[c]);
      split.train.insert(split.train.end(), g.begin() + test[c] + val[c], g.end());
    }
  } else {
    rng.Shuffle(all);
    split.test.assign(all.begin(), all.begin() + n_test);
    split.validation.assign(all.begin() + n_test, all.begin() + n_test + n_val);
    split.train.assign(all.begin() + n_test + n_val, all.end());
    if (classify) {
      std::vector<bool> in_train(groups.size(), false);
      for (size_t r : split.train) in_train[static_cast<size_t>(data.labels[r])] = true;
      for (size_t c = 0; c < groups.size(); ++c) {
        if (!groups[c].empty() && !in_train[c]) {
          return Status::InvalidArgument("class " + ClassName(data, c) + " has no row in train with seed " +
                                         std::to_string(spec.seed) +
                                         ", expected every class in train (stratify: true)");
        }
      }
    }
  }
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.validation.begin(), split.validation.end());
  std::sort(split.test.begin(), split.test.end());
  *out = std::move(split);
  return Status::OK();
}

Status MakeFolds(const Dataset& data, const std::vector<size_t>& rows, int k, uint64_t seed,
                 std::vector<std::vector<size_t>>* folds) {
  if (k < 2) return Status::InvalidArgument("k is " + std::to_string(k) + ", expected at least 2 folds");
  std::vector<size_t> sorted = rows;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (sorted[i] >= data.rows) {
      return Status::InvalidArgument("row " + std::to_string(sorted[i]) + ", expected indices below " +
                                     std::to_string(data.rows));
    }
    if (i > 0 && sorted[i] == sorted[i - 1]) {
      return Status::InvalidArgument("row " + std::to_string(sorted[i]) + " is given twice, expected distinct rows");
    }
  }
  const auto kk = static_cast<size_t>(k);
  if (sorted.size() < kk) {
    return Status::InvalidArgument(std::to_string(sorted.size()) + " rows, expected at least k = " + std::to_string(k));
  }
  std::vector<std::vector<size_t>> groups;
  if (data.task == Task::kClassification) {
    MLOPS_RETURN_IF_ERROR(GroupByClass(data, sorted, &groups));
    for (size_t c = 0; c < groups.size(); ++c) {
      if (!groups[c].empty() && groups[c].size() < kk) {
        return Status::InvalidArgument("class " + ClassName(data, c) + " has " + std::to_string(groups[c].size()) +
                                       " rows, expected at least k = " + std::to_string(k) + " for stratified folds");
      }
    }
  } else {
    groups.push_back(sorted);
  }
  Rng rng(seed);
  std::vector<std::vector<size_t>> out(kk);
  size_t next = 0;
  for (auto& g : groups) {
    rng.Shuffle(g);
    for (size_t r : g) out[next++ % kk].push_back(r);
  }
  for (auto& f : out) std::sort(f.begin(), f.end());
  *folds = std::move(out);
  return Status::OK();
}

}  // namespace mlops::ml
