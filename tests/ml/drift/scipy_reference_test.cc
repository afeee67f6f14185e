// Proof against NumPy and SciPy (Debian's python3-scipy, run by
// MLOPS_REFERENCE_PYTHON through scipy_drift.py): cases built here (normal
// and shifted samples, ties on a grid, constant columns, empty bins, tiny
// samples, heavy tails, missing values, categories) go through mlops_drift
// and through scipy.stats.ks_2samp (method="exact"),
// scipy.spatial.distance.jensenshannon (base 2),
// scipy.stats.wasserstein_distance / np.std and a NumPy PSI of the
// documented formula. Every value must agree to 1e-9 (relative above 1),
// the bin edges exactly, and where SciPy refuses or gives a non-finite
// value we must answer an error.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "data/rng.h"
#include "drift/binned_measures.h"
#include "drift/bins.h"
#include "drift/ks.h"
#include "drift/wasserstein.h"
#include "temp_dir.h"

namespace mlops::ml::drift {
namespace {

using nlohmann::json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Case {
  std::string name;
  bool categorical = false;
  size_t bins = kDefaultBins;
  std::vector<double> reference, current;
  std::map<std::string, uint64_t> ref_categories, cur_categories;
};

using Draw = double (*)(Rng&);

Case Numeric(std::string name, size_t n_ref, size_t n_cur, Rng& rng, Draw ref, Draw cur,
             size_t bins = kDefaultBins) {
  Case c;
  c.name = std::move(name);
  c.bins = bins;
  for (size_t i = 0; i < n_ref; ++i) c.reference.push_back(ref(rng));
  for (size_t i = 0; i < n_cur; ++i) c.current.push_back(cur(rng));
  return c;
}

Case Categorical(std::string name, std::map<std::string, uint64_t> ref,
                 std::map<std::string, uint64_t> cur) {
  return Case{.name = std::move(name), .categorical = true, .bins = 0, .reference = {},
              .current = {}, .ref_categories = std::move(ref), .cur_categories = std::move(cur)};
}

std::vector<Case> BuildCases() {
  Rng rng(20261207);
  std::vector<Case> cases;
  const Draw normal = [](Rng& r) { return r.Normal(); };
  const Draw shifted = [](Rng& r) { return 0.5 + 1.3 * r.Normal(); };
  const Draw grid = [](Rng& r) { return std::round(2 * r.Normal()) / 2; };
  const Draw grid_shifted = [](Rng& r) { return std::round(2 * r.Normal() + 1) / 2; };
  const Draw cauchy = [](Rng& r) { return std::tan(3.141592653589793 * (r.Uniform() - 0.5)); };
  const Draw pareto = [](Rng& r) { return std::pow(1 - r.Uniform(), -1 / 1.5); };
  const Draw constant = [](Rng&) { return 3.25; };
  const Draw uniform = [](Rng& r) { return r.Uniform(); };
  const Draw far = [](Rng& r) { return 10 + r.Uniform(); };
  const Draw gappy = [](Rng& r) { return r.Uniform() < 0.5 ? r.Uniform() : 5 + r.Uniform(); };
  const Draw in_gap = [](Rng& r) { return 2 + 2 * r.Uniform(); };
  cases.push_back(Numeric("normal_same", 2000, 1500, rng, normal, normal));
  cases.push_back(Numeric("normal_shifted", 2000, 1500, rng, normal, shifted));
  cases.push_back(Numeric("normal_equal_sizes", 800, 800, rng, normal, shifted));
  cases.push_back(Numeric("normal_equal_sizes_same", 700, 700, rng, normal, normal));
  // The bounded samples the monitor keeps (streaming.h): 5,000 on each side.
  cases.push_back(Numeric("bounded_samples_shifted", 5000, 5000, rng, normal, shifted));
  cases.push_back(Numeric("bounded_samples_ties", 5000, 5000, rng, grid, grid));
  cases.push_back(Numeric("coprime_sizes", 997, 1009, rng, normal, shifted));
  cases.push_back(Numeric("ties_on_grid", 1200, 900, rng, grid, grid));
  cases.push_back(Numeric("ties_on_grid_shifted", 1200, 900, rng, grid, grid_shifted));
  cases.push_back(Numeric("heavy_tail_cauchy", 1500, 1000, rng, cauchy, cauchy));
  cases.push_back(Numeric("heavy_tail_cauchy_vs_normal", 1500, 1000, rng, cauchy, normal));
  cases.push_back(Numeric("heavy_tail_pareto", 1000, 1200, rng, pareto, pareto));
  cases.push_back(Numeric("constant_reference", 300, 200, rng, constant, normal));
  cases.push_back(Numeric("constant_both", 300, 200, rng, constant, constant));
  cases.push_back(Numeric("constant_current", 300, 200, rng, normal, constant));
  cases.push_back(Numeric("empty_bins_disjoint", 500, 400, rng, uniform, far));
  cases.push_back(Numeric("empty_bins_in_gap", 500, 400, rng, gappy, in_gap));
  cases.push_back(Numeric("tiny_one_each", 1, 1, rng, normal, shifted));
  cases.push_back(Numeric("tiny_three_five", 3, 5, rng, normal, shifted));
  cases.push_back(Numeric("tiny_reference_many_bins", 4, 50, rng, normal, normal, 20));
  cases.push_back(Numeric("two_bins", 400, 300, rng, normal, shifted, 2));
  cases.push_back(Numeric("hundred_bins", 5000, 4000, rng, normal, shifted, 100));
  cases.push_back(Numeric("identical_samples", 50, 0, rng, uniform, uniform));
  cases.back().current = cases.back().reference;
  {
    Case c = Numeric("missing_values", 600, 500, rng, normal, shifted);
    for (size_t i = 0; i < c.reference.size(); i += 7) c.reference[i] = kNaN;
    for (size_t i = 0; i < c.current.size(); i += 3) c.current[i] = kNaN;
    cases.push_back(c);
  }
  {
    Case c = Numeric("all_missing_current", 100, 0, rng, normal, normal);
    c.current.assign(40, kNaN);
    cases.push_back(c);
  }
  cases.push_back(Numeric("empty_current", 100, 0, rng, normal, normal));
  cases.push_back(Categorical("categories_unseen_and_missing",
                              {{"benign", 357}, {"malignant", 212}, {"unknown", 3}},
                              {{"benign", 120}, {"malignant", 180}, {"borderline", 9}}));
  cases.push_back(Categorical("categories_same", {{"a", 10}, {"b", 20}, {"c", 30}},
                              {{"a", 100}, {"b", 200}, {"c", 300}}));
  return cases;
}

json Values(const std::vector<double>& v) {
  json a = json::array();
  for (double x : v) a.push_back(std::isnan(x) ? json(nullptr) : json(x));
  return a;
}

json ToJson(const Case& c) {
  if (c.categorical) {
    return {{"name", c.name}, {"categorical", true}, {"reference", c.ref_categories},
            {"current", c.cur_categories}};
  }
  return {{"name", c.name}, {"bins", c.bins}, {"reference", Values(c.reference)},
          {"current", Values(c.current)}};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Ours for every measure of a case; a Status that is not OK stands for an error.
std::map<std::string, std::pair<Status, double>> Ours(const Case& c, std::vector<double>* edges) {
  std::map<std::string, std::pair<Status, double>> out;
  if (c.categorical) {
    double v = 0;
    Status st = CategoricalPsi(c.ref_categories, c.cur_categories, &v);
    out["psi"] = {st, v};
    return out;
  }
  Status st = QuantileEdges(c.reference, c.bins, edges);
  const std::vector<uint64_t> rc = BinCounts(*edges, c.reference);
  const std::vector<uint64_t> cc = BinCounts(*edges, c.current);
  double psi = 0, js = 0, w = 0;
  out["psi"] = {st.ok() ? Psi(rc, cc, &psi) : st, psi};
  out["js"] = {st.ok() ? JsDistance(rc, cc, &js) : st, js};
  KsResult ks;
  const Status ks_st = KolmogorovSmirnov(c.reference, c.current, &ks);
  out["ks_statistic"] = {ks_st, ks.statistic};
  out["ks_pvalue"] = {ks_st, ks.p_value};
  out["wasserstein"] = {NormalisedWasserstein(c.reference, c.current, &w), w};
  return out;
}

TEST(ScipyReference, EveryMeasureAgrees) {
  testing::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::vector<Case> cases = BuildCases();
  ASSERT_GE(cases.size(), 20u);
  json doc = {{"cases", json::array()}};
  for (const Case& c : cases) doc["cases"].push_back(ToJson(c));
  {
    std::ofstream out(dir.Join("cases.json"));
    out << doc.dump(-1, ' ', false, json::error_handler_t::strict);
  }
  const std::string cmd = std::string("'") + MLOPS_REFERENCE_PYTHON + "' '" + MLOPS_SCIPY_SCRIPT +
                          "' '" + dir.Join("cases.json") + "' > '" + dir.Join("out.json") +
                          "' 2> '" + dir.Join("err.txt") + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << ReadFile(dir.Join("err.txt"));
  const json ref = json::parse(ReadFile(dir.Join("out.json")));

  double max_abs = 0;
  int compared = 0, refused = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const json& expected = ref["cases"][c.name];
    std::vector<double> edges;
    const auto ours = Ours(c, &edges);
    if (expected.contains("edges")) {
      EXPECT_EQ(edges, expected["edges"].get<std::vector<double>>());
    }
    for (const auto& [measure, r] : expected.items()) {
      if (measure == "edges") continue;
      SCOPED_TRACE(measure);
      const auto& [st, value] = ours.at(measure);
      if (r.contains("error")) {
        ++refused;
        EXPECT_FALSE(st.ok()) << "scipy refused (" << r["error"] << ") but we gave " << value;
        continue;
      }
      ASSERT_TRUE(st.ok()) << st.ToString();
      ASSERT_TRUE(std::isfinite(value));
      const double want = r["value"].get<double>();
      const double abs = std::fabs(value - want);
      EXPECT_LE(abs, 1e-9 * std::max(1.0, std::fabs(want))) << "ours " << value << ", scipy " << want;
      if (std::fabs(want) <= 1) max_abs = std::max(max_abs, abs);
      ++compared;
    }
  }
  EXPECT_GT(compared, 100);
  EXPECT_GT(refused, 10);
  const std::string versions =
      "scipy " + ref["scipy"].get<std::string>() + ", numpy " + ref["numpy"].get<std::string>();
  std::cout << versions << ": " << cases.size() << " cases, " << compared << " values and "
            << refused << " refusals agree; largest difference " << max_abs << "\n";
}

}  // namespace
}  // namespace mlops::ml::drift
