// Proof against scikit-learn: data sets built here (random scores, heavy
// ties, perfect and inverted rankings, 3 and 10 classes, one class only,
// zero and constant targets...) go through mlops_ml_metrics and through
// sklearn.metrics (sklearn_metrics.py, run by MLOPS_REFERENCE_PYTHON).
// Every metric must agree to 1e-9 (relative for values above 1), a metric
// sklearn refuses (or gives as NaN) must be an error or undefined here, and
// we warn exactly when sklearn warns.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "data/rng.h"
#include "metrics/classification_metrics.h"
#include "metrics/regression_metrics.h"
#include "temp_dir.h"

namespace mlops::ml::metrics {
namespace {

using nlohmann::json;

struct Case {
  std::string name;
  bool classification = true;
  size_t k = 2;
  std::vector<int> y;
  std::vector<double> proba;         // classification: rows x k
  std::vector<double> target, pred;  // regression
};

std::vector<double> Softmax(const std::vector<double>& logits) {
  double max = logits[0];
  for (double v : logits) max = std::max(max, v);
  std::vector<double> p(logits.size());
  double sum = 0;
  for (size_t i = 0; i < p.size(); ++i) sum += p[i] = std::exp(logits[i] - max);
  for (double& v : p) v /= sum;
  return p;
}

// Binary case from scores of class 1.
Case BinaryCase(std::string name, const std::vector<int>& y, const std::vector<double>& s) {
  Case c;
  c.name = std::move(name);
  c.y = y;
  for (double v : s) {
    c.proba.push_back(1 - v);
    c.proba.push_back(v);
  }
  return c;
}

Case MultiCase(std::string name, size_t n, size_t k, double signal, uint64_t seed,
               size_t classes_present) {
  Rng rng(seed);
  Case c;
  c.name = std::move(name);
  c.k = k;
  for (size_t i = 0; i < n; ++i) {
    const int label = static_cast<int>(rng.Below(classes_present));
    std::vector<double> logits(k);
    for (size_t j = 0; j < k; ++j) logits[j] = rng.Normal() + (j == size_t(label) ? signal : 0);
    c.y.push_back(label);
    for (double p : Softmax(logits)) c.proba.push_back(p);
  }
  return c;
}

Case RegressionCase(std::string name, std::vector<double> target, std::vector<double> pred) {
  Case c;
  c.name = std::move(name);
  c.classification = false;
  c.target = std::move(target);
  c.pred = std::move(pred);
  return c;
}

std::vector<Case> BuildCases() {
  std::vector<Case> cases;
  Rng rng(20240601);
  auto sigmoid = [](double x) { return 1 / (1 + std::exp(-x)); };
  {  // random scores with some signal
    std::vector<int> y;
    std::vector<double> s;
    for (int i = 0; i < 500; ++i) {
      y.push_back(rng.Uniform() < 0.4 ? 1 : 0);
      s.push_back(sigmoid(rng.Normal() + 1.2 * y.back() - 0.5));
    }
    cases.push_back(BinaryCase("binary_random", y, s));
  }
  {  // 5000 samples: numpy's pairwise summation beyond one block
    std::vector<int> y;
    std::vector<double> s;
    for (int i = 0; i < 5000; ++i) {
      y.push_back(rng.Uniform() < 0.1 ? 1 : 0);
      s.push_back(sigmoid(2 * rng.Normal() + 2 * y.back()));
    }
    cases.push_back(BinaryCase("binary_large_imbalanced", y, s));
  }
  {  // scores on a grid of 11 values: many ties, some exactly 0.5 (argmax tie)
    std::vector<int> y;
    std::vector<double> s;
    for (int i = 0; i < 300; ++i) {
      y.push_back(rng.Uniform() < 0.5 ? 1 : 0);
      s.push_back(std::min(
          1.0, std::max(0.0, std::round((0.5 + 0.3 * rng.Normal() + 0.2 * y.back()) * 10) / 10)));
    }
    cases.push_back(BinaryCase("binary_many_ties", y, s));
  }
  {
    std::vector<int> y;
    std::vector<double> perfect, inverted, low;
    for (int i = 0; i < 200; ++i) {
      y.push_back(rng.Uniform() < 0.3 ? 1 : 0);
      const double u = rng.Uniform();
      perfect.push_back(y.back() == 1 ? 0.6 + 0.4 * u : 0.4 * u);
      inverted.push_back(1 - perfect.back());
      low.push_back(0.45 * u);  // never predicts class 1
    }
    cases.push_back(BinaryCase("binary_perfect", y, perfect));
    cases.push_back(BinaryCase("binary_inverted", y, inverted));
    cases.push_back(BinaryCase("binary_no_predicted_positive", y, low));
  }
  cases.push_back(BinaryCase("binary_all_tied", {0, 1, 1, 0, 1}, {0.5, 0.5, 0.5, 0.5, 0.5}));
  cases.push_back(BinaryCase("binary_extreme_probabilities", {0, 1, 1, 0, 1, 0},
                             {0.0, 1.0, 0.0, 1.0, 0.7, 1e-300}));
  cases.push_back(BinaryCase("binary_only_negatives", {0, 0, 0, 0}, {0.1, 0.7, 0.3, 0.2}));
  cases.push_back(BinaryCase("binary_only_positives", {1, 1, 1}, {0.1, 0.7, 0.3}));
  cases.push_back(BinaryCase("binary_one_sample", {1}, {0.8}));
  cases.push_back(MultiCase("multiclass_3", 400, 3, 1.5, 7, 3));
  cases.push_back(MultiCase("multiclass_10", 1000, 10, 2.0, 8, 10));
  cases.push_back(MultiCase("multiclass_3_weak_signal", 150, 3, 0.1, 9, 3));
  cases.push_back(MultiCase("multiclass_3_class_missing", 120, 3, 1.0, 10, 2));
  {  // rows from a few patterns: ties in every one-vs-rest ranking
    Case c;
    c.name = "multiclass_ties";
    c.k = 3;
    const double rows[4][3] = {
        {0.5, 0.25, 0.25}, {0.25, 0.5, 0.25}, {0.25, 0.25, 0.5}, {0.4, 0.4, 0.2}};
    for (int i = 0; i < 120; ++i) {
      c.y.push_back(static_cast<int>(rng.Below(3)));
      const auto& r = rows[(c.y.back() + rng.Below(2) * rng.Below(4)) % 4];
      c.proba.insert(c.proba.end(), r, r + 3);
    }
    cases.push_back(c);
  }
  {
    std::vector<double> t, p, t_zero, p_zero, p_const, t_const;
    for (int i = 0; i < 500; ++i) {
      t.push_back(10 * rng.Normal() + 3);
      p.push_back(t.back() + 2 * rng.Normal());
      t_zero.push_back(i % 7 == 0 ? 0.0 : std::round(t.back()));
      p_zero.push_back(t_zero.back() + 0.5 * rng.Normal());
      p_const.push_back(3.25);
      t_const.push_back(-2.5);
    }
    cases.push_back(RegressionCase("regression_random", t, p));
    cases.push_back(RegressionCase("regression_zero_targets", t_zero, p_zero));
    cases.push_back(RegressionCase("regression_constant_predictions", t, p_const));
    cases.push_back(RegressionCase("regression_constant_targets", t_const, p));
    cases.push_back(RegressionCase("regression_constant_exact", t_const, t_const));
    cases.push_back(RegressionCase("regression_perfect", t, t));
  }
  cases.push_back(RegressionCase("regression_one_sample", {2.0}, {1.0}));
  cases.push_back(RegressionCase("regression_empty", {}, {}));
  return cases;
}

json ToJson(const Case& c) {
  if (c.classification) {
    return {
        {"name", c.name}, {"task", "classification"}, {"k", c.k}, {"y", c.y}, {"proba", c.proba}};
  }
  return {{"name", c.name}, {"task", "regression"}, {"y", c.target}, {"pred", c.pred}};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SklearnReference, EveryMetricAgrees) {
  testing::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::vector<Case> cases = BuildCases();
  json doc = {{"cases", json::array()}};
  for (const Case& c : cases) doc["cases"].push_back(ToJson(c));
  {
    std::ofstream out(dir.Join("cases.json"));
    out << doc.dump();
  }
  const std::string cmd = std::string("'") + MLOPS_REFERENCE_PYTHON + "' '" + MLOPS_SKLEARN_SCRIPT +
                          "' '" + dir.Join("cases.json") + "' > '" + dir.Join("out.json") +
                          "' 2> '" + dir.Join("err.txt") + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << ReadFile(dir.Join("err.txt"));
  const json ref = json::parse(ReadFile(dir.Join("out.json")));

  double max_abs = 0, max_rel = 0;
  int compared = 0, refused = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const json& expected = ref["cases"][c.name];
    MetricSet ours;
    Status st;
    if (c.classification) {
      ClassificationEvaluation e;
      st = EvaluateClassification(c.y, c.proba, c.k, &e);
      ours = e.metrics;
    } else {
      st = EvaluateRegression(c.target, c.pred, &ours);
    }
    bool sklearn_warned = false;
    for (const auto& [metric, r] : expected.items()) {
      SCOPED_TRACE(metric);
      sklearn_warned = sklearn_warned || r.contains("warned");
      if (r.contains("error")) {
        ++refused;
        EXPECT_TRUE(!st.ok() || ours.UndefinedReason(metric) != nullptr)
            << "sklearn refused (" << r["error"] << ") but we gave "
            << ours.Get(metric).value_or(0);
        continue;
      }
      ASSERT_TRUE(st.ok()) << st.ToString();
      const std::optional<double> v = ours.Get(metric);
      ASSERT_TRUE(v.has_value()) << "undefined here: " << *ours.UndefinedReason(metric);
      const double want = r["value"].get<double>();
      const double abs = std::fabs(*v - want);
      EXPECT_LE(abs, 1e-9 * std::max(1.0, std::fabs(want)))
          << "ours " << *v << ", sklearn " << want;
      if (std::fabs(want) <= 1) max_abs = std::max(max_abs, abs);
      if (want != 0) max_rel = std::max(max_rel, abs / std::fabs(want));
      ++compared;
    }
    if (st.ok() && c.classification) {
      EXPECT_EQ(sklearn_warned, !ours.warnings().empty())
          << "sklearn warned: " << expected.dump()
          << "\nours: " << (ours.warnings().empty() ? "" : ours.warnings()[0]);
    }
  }
  std::cout << "sklearn " << ref["sklearn"].get<std::string>() << ": " << cases.size() << " cases, "
            << compared << " values compared, " << refused
            << " refusals matched; max abs diff (|value| <= 1) " << max_abs << ", max rel diff "
            << max_rel << "\n";
  RecordProperty("max_abs_diff", std::to_string(max_abs));
  EXPECT_GT(compared, 150);
}

}  // namespace
}  // namespace mlops::ml::metrics
