// EvaluationReport: everything one evaluation found, and its two renderings:
// evaluation.json (versioned, for people and tools) and a JUnit XML summary
// (one test suite, one test case per gate) that CI systems such as GitLab
// show as test results. Plain value; the renderers are pure functions.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/classification_metrics.h"
#include "metrics/gates.h"
#include "metrics/metric_set.h"

namespace mlops::ml::metrics {

// Version of the evaluation.json layout; bumped when a member changes meaning.
inline constexpr int kEvaluationReportVersion = 1;

struct SliceMetrics {
  std::string column;
  std::string label;  // slices.h
  size_t rows = 0;
  MetricSet metrics;
};

struct CrossValidationSummary {
  int folds = 0;
  MetricSet metrics;                // cv_<m>_mean, cv_<m>_std
  std::vector<MetricSet> per_fold;  // plain metric names
};

struct ChampionComparison {
  bool present = false;  // false: no production model, comparison skipped
  std::string source;    // where its path came from (param, environment)
  std::string path;
  std::string metric;  // the compared metric
  MetricSet metrics;   // the champion's, on the same test rows
};

struct EvaluationReport {
  std::string model_path;
  std::string task;                  // "classification" | "regression"
  std::vector<std::string> classes;  // classification
  std::string data_path;
  std::string data_sha256;
  size_t train_rows = 0, validation_rows = 0, test_rows = 0;
  MetricSet metrics;          // on the test rows
  ConfusionMatrix confusion;  // classification
  std::vector<SliceMetrics> slices;
  std::optional<CrossValidationSummary> cv;
  std::optional<ChampionComparison> champion;
  std::vector<GateResult> gates;  // the champion gate included

  bool passed() const;  // every gate passed (true without gates)
};

nlohmann::json ToJson(const MetricSet& metrics);
nlohmann::json ToJson(const EvaluationReport& report);

// JUnit XML: <testsuites> holding one <testsuite name=suite_name>; each
// gate is a <testcase> whose failed form carries <failure message=...>;
// metric values are <properties>. Text is XML-escaped.
std::string ToJunitXml(const EvaluationReport& report, const std::string& suite_name);

// Escapes & < > " ' for text and attributes; characters XML 1.0 forbids
// (controls other than tab, newline, carriage return) become U+FFFD.
std::string XmlEscape(std::string_view text);

}  // namespace mlops::ml::metrics
